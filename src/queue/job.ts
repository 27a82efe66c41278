import type { JobsTable } from '../store/schema.ts';
import type { JobStatus } from './job-status.ts';

export interface Job {
  id: string;
  queue: string;
  status: JobStatus;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  lockedBy: string;
  lockedUntil: number;
  runAt: number;
  createdAt: number;
}

export function toJob(row: JobsTable): Job {
  return {
    id: row.id,
    queue: row.queue,
    status: row.status,
    payload: JSON.parse(row.payload),
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    lockedBy: row.locked_by ?? '',
    lockedUntil: Number(row.locked_until ?? 0),
    runAt: Number(row.run_at),
    createdAt: Number(row.created_at),
  };
}
