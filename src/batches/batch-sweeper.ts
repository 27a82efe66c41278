import type { Logger } from 'pino';
import { getAccount } from '../accounts/accounts.ts';
import type { LookupDeps } from '../lookups/lookup-deps.ts';
import { LOOKUP_QUEUE } from '../lookups/lookup-status.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
import { BatchStatus } from './batch-status.ts';
import { summarise } from './batch-summary.ts';
import { createBatchLookups } from './create-batch-lookups.ts';
import { deleteBatch } from './create-batch.ts';

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
  sweep(): Promise<{ completed: number; resumed: number; deleted: number }>;
}

/**
 * Keeps batches moving without a reader: completes processing batches whose rows are all
 * answered (which queues their batch.completed webhook), and recovers uploads a crash left in
 * `uploading`: one that passed its credit check gets its remaining lookups created (rows
 * already linked are skipped, so nothing is charged twice); one that did not is deleted, as a
 * refused upload would have been. Every step is a conditional update, so several worker
 * processes can sweep at once.
 */
export function createBatchSweeper(o: BatchSweeperOptions): BatchSweeper {
  const { store, clock, notifier } = o.deps;
  const intervalMs = o.intervalMs ?? 5_000;
  const stuckAfterMs = o.stuckAfterMs ?? 15 * 60_000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;

  async function sweep() {
    const result = { completed: 0, resumed: 0, deleted: 0 };
    const processing = await store.db.selectFrom('batches').selectAll().where('status', '=', BatchStatus.processing).orderBy('updated_at').limit(100).execute();
    for (const batch of processing) {
      await summarise(store, clock, batch, () => {
        result.completed += 1;
      });
    }
    if (result.completed > 0) notifier.jobAdded(WEBHOOK_QUEUE);

    const now = clock.now();
    const stuck = await store.db.selectFrom('batches').selectAll().where('status', '=', BatchStatus.uploading).where('updated_at', '<', now - stuckAfterMs).limit(10).execute();
    for (const batch of stuck) {
      // Claim it: only the sweeper whose update lands goes on.
      const claimed = await store.db.updateTable('batches').set({ updated_at: now }).where('id', '=', batch.id).where('status', '=', BatchStatus.uploading).where('updated_at', '=', batch.updated_at).executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) continue;
      const account = await getAccount(store, batch.account_id);
      // input_columns is written with the totals after the credit check passed (create-batch.ts).
      const passedCheck = Number(batch.total_rows) > 0 && batch.input_columns !== '[]';
      if (!account || !passedCheck) {
        await deleteBatch(store, batch.id);
        result.deleted += 1;
        o.logger.warn({ batch: batch.id }, 'abandoned batch upload deleted');
        continue;
      }
      await createBatchLookups(o.deps, account, batch.id, Number(batch.total_rows));
      const created = await store.db.selectFrom('requests').select((eb) => eb.fn.countAll<number>().as('n')).where('batch_id', '=', batch.id).executeTakeFirstOrThrow();
      await store.db.updateTable('batches').set({
        status: BatchStatus.processing, new_lookups: Number(created.n), charged_cents: Number(created.n) * account.price_cents, updated_at: clock.now(),
      }).where('id', '=', batch.id).execute();
      notifier.jobAdded(LOOKUP_QUEUE);
      result.resumed += 1;
      o.logger.warn({ batch: batch.id }, 'interrupted batch upload resumed');
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
