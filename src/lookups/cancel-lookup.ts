import { validateTaxId } from '../taxid/index.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { refundRequest } from '../billing/ledger.ts';
import type { Account } from '../accounts/api-keys.ts';
import type { LookupDeps } from './lookup-deps.ts';
import { LookupStatus, PENDING_STATUSES } from './lookup-status.ts';
// webhooks: a cancellation answers the lookup, and is delivered like any answer
import { enqueueLookupWebhooks } from '../webhooks/enqueue.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
import { recordAudit, type AuditBy } from '../audit/record-audit.ts';

export interface CancelResult {
  id: string;
  /** true when the request was still pending: it will never be answered and was refunded. */
  cancelled: boolean;
  refundedCents: number;
}

/**
 * The protocol's cf-delete: removes the account's present request for a code, so the code can
 * be requested again. A request not yet answered is cancelled and refunded; an answered one is
 * only deleted (the answer was delivered and stays charged).
 */
export async function cancelLookupByCode(deps: LookupDeps, account: Account, input: string): Promise<CancelResult> {
  const checked = validateTaxId(input);
  if (!checked.valid) throw new CercapecError(ErrorCode.codeInvalid, checked.message, { reason: checked.reason });
  return cancelWhere(deps, account, { dedupCode: checked.code });
}

/**
 * The JSON API's DELETE /v1/lookups/{id}: the same rules by token. A lookup already deleted is
 * reported as not found, like an unknown one.
 */
export async function cancelLookupById(deps: LookupDeps, account: Account, id: string, audit?: AuditBy): Promise<CancelResult> {
  return cancelWhere(deps, account, { id }, audit);
}

/** `audit`: the back office records who cancelled, in the cancelling transaction. */
async function cancelWhere(deps: LookupDeps, account: Account, by: { dedupCode?: string; id?: string }, audit?: AuditBy): Promise<CancelResult> {
  const now = deps.clock.now();
  const result = await deps.store.db.transaction().execute(async (trx) => {
    await deps.store.dialect.lockAccount(trx, account.id);
    let query = trx.selectFrom('requests').select(['id', 'status']).where('account_id', '=', account.id);
    query = by.id !== undefined ? query.where('id', '=', by.id).where('deleted_at', 'is', null) : query.where('dedup_code', '=', by.dedupCode!);
    const request = await query.executeTakeFirst();
    if (!request) {
      throw by.id !== undefined
        ? new CercapecError(ErrorCode.lookupNotFound, 'no such lookup')
        : new CercapecError(ErrorCode.noRequestForCode, 'no request present for this code');
    }
    const pending = PENDING_STATUSES.includes(request.status);
    await trx
      .updateTable('requests')
      .set({
        dedup_code: null,
        deleted_at: now,
        updated_at: now,
        ...(pending ? { status: LookupStatus.cancelled, answered_at: now } : {}),
      })
      .where('id', '=', request.id)
      .execute();
    const refundedCents = pending ? await refundRequest(trx, request.id, now, 'richiesta cancellata') : 0;
    const webhooks = pending ? await enqueueLookupWebhooks(trx, request.id, now) : 0; // webhooks
    if (audit) {
      const after = { status: pending ? LookupStatus.cancelled : request.status, deleted_at: now, refunded_cents: refundedCents };
      await recordAudit(trx, { at: now, actor: audit.actor, action: 'request.cancel', target: request.id, before: { status: request.status }, after });
    }
    return { id: request.id, cancelled: pending, refundedCents, webhooks };
  });
  if (result.cancelled) deps.notifier.answered(result.id);
  if (result.webhooks > 0) deps.notifier.jobAdded(WEBHOOK_QUEUE); // webhooks
  if (result.cancelled) await deps.settled?.([result.id]);
  return { id: result.id, cancelled: result.cancelled, refundedCents: result.refundedCents };
}
