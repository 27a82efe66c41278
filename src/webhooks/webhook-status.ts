/** The job queue that delivers webhooks, apart from lookups: a slow receiver never delays an answer. */
export const WEBHOOK_QUEUE = 'webhook';

/** Sent as x-cercapec-event. */
export const WebhookEvent = {
  lookupAnswered: 'lookup.answered',
  batchCompleted: 'batch.completed',
  // watches (watches/emit-events.ts)
  pecAdded: 'pec.added',
  pecChanged: 'pec.changed',
  pecRemoved: 'pec.removed',
} as const;
export type WebhookEvent = (typeof WebhookEvent)[keyof typeof WebhookEvent];

/** The states of a webhook delivery (webhook_deliveries.status): the column type is derived from this object. */
export const DeliveryStatus = {
  pending: 'pending',
  delivered: 'delivered',
  failed: 'failed',
} as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];
