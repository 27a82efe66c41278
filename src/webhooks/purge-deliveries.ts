import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { MaintenanceTask } from '../queue/maintenance.ts';
import { DeliveryStatus } from './webhook-status.ts';

const DAY = 86_400_000;
const CHUNK = 1000;

/**
 * Retention: a delivery's body is the lookup (code and PECs), so deliveries and their attempts
 * go with the same retention as requests, once they are no longer pending. In chunks, like
 * purge-expired.
 */
export async function purgeWebhookDeliveries(trx: Transaction<Database>, now: number, retentionDays: number): Promise<Record<string, number>> {
  const counts = { deliveries: 0, attempts: 0 };
  if (retentionDays <= 0) return counts;
  const before = now - retentionDays * DAY;
  for (;;) {
    const ids = (
      await trx
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('created_at', '<', before)
        .where('status', '!=', DeliveryStatus.pending)
        .limit(CHUNK)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) break;
    counts.attempts += Number((await trx.deleteFrom('webhook_attempts').where('delivery_id', 'in', ids).executeTakeFirst()).numDeletedRows);
    counts.deliveries += Number((await trx.deleteFrom('webhook_deliveries').where('id', 'in', ids).executeTakeFirst()).numDeletedRows);
    if (ids.length < CHUNK) break;
  }
  return counts;
}

export function purgeWebhookDeliveriesTask(retentionDays: number): MaintenanceTask {
  return { name: 'purge-webhook-deliveries', everyMs: 3_600_000, run: (trx, now) => purgeWebhookDeliveries(trx, now, retentionDays) };
}
