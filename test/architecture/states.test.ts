import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LookupStatus } from '../../src/lookups/lookup-status.ts';
import { BatchStatus, ROW_STATUSES } from '../../src/batches/batch-status.ts';
import { DeliveryStatus } from '../../src/webhooks/webhook-status.ts';
import { BillingMode } from '../../src/billing/billing-mode.ts';
import { LedgerKind } from '../../src/billing/ledger-kind.ts';
import { AccountSchema, LedgerEntrySchema, LookupStatusSchema } from '../../src/resources/schemas.ts';
import { BatchRowStatusSchema, BatchSchema, BatchStatusSchema } from '../../src/resources/batch-schemas.ts';
import { WebhookDeliverySchema } from '../../src/resources/webhook-schemas.ts';
import { BATCH_MEDIA_TYPES } from '../../src/resources/batch-media-types.ts';

/*
 * The public shapes (resources/) spell the states out, since they sit below the domain modules
 * that own them; these keep the two in step.
 */
test('the API shows exactly the states the domain modules have', () => {
  assert.deepEqual(LookupStatusSchema.options, Object.values(LookupStatus));
  assert.deepEqual(BatchStatusSchema.options, Object.values(BatchStatus));
  assert.deepEqual(BatchRowStatusSchema.options, [...ROW_STATUSES]);
  assert.deepEqual(WebhookDeliverySchema.shape.status.options, Object.values(DeliveryStatus));
  assert.deepEqual(BatchSchema.shape.format.options, Object.keys(BATCH_MEDIA_TYPES));
  assert.deepEqual(AccountSchema.shape.billingMode.options, Object.values(BillingMode));
  assert.deepEqual(LedgerEntrySchema.shape.kind.options, Object.values(LedgerKind));
});
