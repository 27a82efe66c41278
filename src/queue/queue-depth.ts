import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { JobStatus } from './job-status.ts';

export interface QueueDepth {
  queue: string;
  /** Queued and due now. */
  ready: number;
  /** Queued for later (a retry's backoff). */
  delayed: number;
  running: number;
  /** Given up for good, kept for inspection. */
  failed: number;
}

/** Jobs per queue and state (lookup, webhook, operator...), one grouped read (the back office's dashboard). */
export async function queueDepth(db: Kysely<Database>, now: number): Promise<QueueDepth[]> {
  const rows = await db
    .selectFrom('jobs')
    .select(['queue', 'status', sql<number>`count(*)`.as('n'), sql<number>`sum(case when run_at <= ${now} then 1 else 0 end)`.as('due')])
    .groupBy(['queue', 'status'])
    .execute();
  const byQueue = new Map<string, QueueDepth>();
  for (const row of rows) {
    const depth = byQueue.get(row.queue) ?? { queue: row.queue, ready: 0, delayed: 0, running: 0, failed: 0 };
    const n = Number(row.n);
    if (row.status === JobStatus.queued) {
      depth.ready += Number(row.due);
      depth.delayed += n - Number(row.due);
    } else if (row.status === JobStatus.running) depth.running += n;
    else depth.failed += n;
    byQueue.set(row.queue, depth);
  }
  return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue));
}
