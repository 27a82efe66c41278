import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { observe, type Observation, type ObserveOptions } from '../history/observe.ts';
import { emitWatchEvents } from './emit-events.ts';

/**
 * Records observations and turns their changes into watch events, in the caller's transaction.
 * Returns the changes and the webhook deliveries enqueued.
 */
export async function recordObservations(
  trx: Transaction<Database>,
  items: readonly Observation[],
  now: number,
  options: ObserveOptions = {},
): Promise<{ changes: number; webhooks: number }> {
  const changes = await observe(trx, items, now, options);
  const webhooks = await emitWatchEvents(trx, changes);
  return { changes: changes.length, webhooks };
}
