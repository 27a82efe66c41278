import type { JobsTable } from '../store/schema.ts';

export const JobStatus = { queued: 'queued', running: 'running', failed: 'failed' } as const;

export interface Job {
  id: string;
  queue: string;
  status: JobsTable['status'];
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
