import type { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Database, WebhookAttemptsTable, WebhookDeliveriesTable, WebhookDeliveryStatus } from '../store/schema.ts';
import type { WebhookDeliverySchema } from '../resources/webhook-schemas.ts';

export type DeliveryResource = z.output<typeof WebhookDeliverySchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export function toDeliveryResource(row: WebhookDeliveriesTable, attempts: WebhookAttemptsTable[]): DeliveryResource {
  return {
    id: row.id,
    event: row.event,
    url: row.url,
    lookupId: row.request_id,
    batchId: row.batch_id,
    status: row.status,
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error,
    nextAttemptAt: iso(row.next_attempt_at),
    createdAt: iso(row.created_at)!,
    deliveredAt: iso(row.delivered_at),
    attempts: attempts.map((a) => ({
      at: iso(a.at)!,
      statusCode: a.status_code === null ? null : Number(a.status_code),
      error: a.error,
      durationMs: Number(a.duration_ms),
    })),
  };
}

export interface DeliveryQuery {
  accountId: string;
  lookupId?: string;
  deliveryId?: string;
  status?: WebhookDeliveryStatus;
  /** Keyset paging, newest first: the (created_at, id) of the last item of the previous page. */
  after?: { at: number; id: string } | null;
  limit: number;
}

/** An account's deliveries with their attempts, newest first, in two queries. Never another account's. */
export async function listDeliveries(
  db: Kysely<Database>,
  q: DeliveryQuery,
): Promise<{ items: DeliveryResource[]; more: boolean; last: WebhookDeliveriesTable | null }> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('account_id', '=', q.accountId);
  if (q.lookupId !== undefined) query = query.where('request_id', '=', q.lookupId);
  if (q.deliveryId !== undefined) query = query.where('id', '=', q.deliveryId);
  if (q.status) query = query.where('status', '=', q.status);
  const after = q.after;
  if (after) query = query.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const attempts = page.length
    ? await db
        .selectFrom('webhook_attempts')
        .selectAll()
        .where(
          'delivery_id',
          'in',
          page.map((r) => r.id),
        )
        .orderBy('at')
        .orderBy('id')
        .execute()
    : [];
  const byDelivery = new Map<string, WebhookAttemptsTable[]>();
  for (const a of attempts) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
  return {
    items: page.map((r) => toDeliveryResource(r, byDelivery.get(r.id) ?? [])),
    more: rows.length > q.limit,
    last: page[page.length - 1] ?? null,
  };
}
