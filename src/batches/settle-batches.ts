import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { PENDING_STATUSES } from '../lookups/lookup-status.ts';
import type { Notifier } from '../queue/notifier.ts';
import type { Store } from '../store/store.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
import { BatchStatus } from './batch-status.ts';
import { completeIfSettled } from './complete-batch.ts';

export interface SettleDeps {
  store: Store;
  clock: Clock;
  notifier: Notifier;
  logger: Logger;
}

/**
 * The hook the lookups call right after the commit that settles requests (LookupDeps.settled:
 * answered, given up, cancelled, answered by an operator): it completes the batches those
 * requests finished. It never throws: the answer is committed whatever happens here, and a
 * batch it failed to complete is left to the sweeper.
 */
export function batchSettler(deps: SettleDeps): (requestIds: readonly string[]) => Promise<void> {
  return async (requestIds) => {
    try {
      await completeSettledBatches(deps, requestIds);
    } catch (err) {
      deps.logger.error({ err }, 'completing settled batches failed: left to the sweeper');
    }
  };
}

/**
 * Completes the processing batches whose rows hold one of these (settled) requests, when every
 * row is settled; returns how many it completed, and wakes the webhook workers for them.
 * A batch with a lookup of its own still pending is passed over after one indexed probe
 * (requests(batch_id, status)), so the answers of a million-row batch do not each count its
 * rows; the rows are counted once its own lookups are all answered (completeIfSettled). Two
 * processes settling a batch's last rows at once both look after their commits, so at least
 * one sees it settled; the conditional update in completeBatch completes and announces it once.
 */
export async function completeSettledBatches(deps: SettleDeps, requestIds: readonly string[]): Promise<number> {
  if (requestIds.length === 0) return 0;
  const { db } = deps.store;
  const batches = await db
    .selectFrom('batches')
    .selectAll()
    .where('status', '=', BatchStatus.processing)
    .where('id', 'in', (eb) => eb.selectFrom('batch_rows').select('batch_id').where('request_id', 'in', requestIds))
    .execute();
  let completed = 0;
  for (const batch of batches) {
    const pending = await db
      .selectFrom('requests')
      .select('id')
      .where('batch_id', '=', batch.id)
      .where('status', 'in', PENDING_STATUSES)
      .limit(1)
      .executeTakeFirst();
    if (pending) continue;
    await completeIfSettled(deps.store, deps.clock, batch, () => {
      completed += 1;
    });
  }
  if (completed > 0) deps.notifier.jobAdded(WEBHOOK_QUEUE);
  return completed;
}
