import type { Logger } from 'pino';
import type { LookupDeps } from '../lookups/lookup-deps.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
import { BatchStatus } from './batch-status.ts';
import { completeIfSettled } from './complete-batch.ts';
import { rollbackBatch } from './rollback-batch.ts';

export interface BatchSweeperOptions {
  deps: LookupDeps;
  logger: Logger;
  /** How often to look (default 5 s): a batch's webhook goes at most this long after its last answer. */
  intervalMs?: number;
  /** An upload older than this still `uploading` was abandoned by a process that died (default 15 min; uploads time out long before). */
  stuckAfterMs?: number;
}

export interface BatchSweeper {
  start(): void;
  stop(): Promise<void>;
  /** One pass now (tests, and the timer). */
  sweep(): Promise<{ completed: number; deleted: number }>;
}

/**
 * Keeps batches moving without a reader: completes processing batches whose rows are all
 * answered (which queues their batch.completed webhook), and rolls back uploads left in
 * `uploading` by a process that died or a rollback that failed (rollbackBatch: lookups refunded
 * and deleted). Such an upload was never answered 202, so it is never resumed: its client got
 * an error or no answer, and retries (with its Idempotency-Key) if it wants the batch. Every
 * step is a conditional update, so several worker processes can sweep at once.
 */
export function createBatchSweeper(o: BatchSweeperOptions): BatchSweeper {
  const { store, clock, notifier } = o.deps;
  const intervalMs = o.intervalMs ?? 5_000;
  const stuckAfterMs = o.stuckAfterMs ?? 15 * 60_000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;

  async function sweep() {
    const result = { completed: 0, deleted: 0 };
    const processing = await store.db.selectFrom('batches').selectAll().where('status', '=', BatchStatus.processing).orderBy('updated_at').limit(100).execute();
    for (const batch of processing) {
      await completeIfSettled(store, clock, batch, () => {
        result.completed += 1;
      });
    }
    if (result.completed > 0) notifier.jobAdded(WEBHOOK_QUEUE);

    const now = clock.now();
    const stuck = await store.db
      .selectFrom('batches')
      .selectAll()
      .where('status', '=', BatchStatus.uploading)
      .where('updated_at', '<', now - stuckAfterMs)
      .limit(10)
      .execute();
    for (const batch of stuck) {
      // Claim it: only the sweeper whose update lands goes on.
      const claimed = await store.db
        .updateTable('batches')
        .set({ updated_at: now })
        .where('id', '=', batch.id)
        .where('status', '=', BatchStatus.uploading)
        .where('updated_at', '=', batch.updated_at)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) continue;
      await rollbackBatch(store, clock, batch.id);
      result.deleted += 1;
      o.logger.warn({ batch: batch.id }, 'abandoned batch upload rolled back');
    }
    return result;
  }

  function tick() {
    running = sweep()
      .catch((err) => o.logger.error({ err }, 'batch sweep failed'))
      .finally(() => {
        running = null;
        if (timer) timer = setTimeout(tick, intervalMs).unref();
      });
  }

  return {
    start() {
      if (timer) return;
      timer = setTimeout(tick, 0).unref();
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
    sweep,
  };
}
