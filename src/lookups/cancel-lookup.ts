import { validateTaxId } from '../taxid/index.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { refundRequest } from '../billing/ledger.ts';
import type { Account } from '../accounts/api-keys.ts';
import type { LookupDeps } from './lookup-deps.ts';
import { PENDING_STATUSES } from './lookup-status.ts';

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
  const now = deps.clock.now();
  const result = await deps.store.db.transaction().execute(async (trx) => {
    await deps.store.dialect.lockAccount(trx, account.id);
    const request = await trx
      .selectFrom('requests')
      .select(['id', 'status'])
      .where('account_id', '=', account.id)
      .where('dedup_code', '=', checked.code)
      .executeTakeFirst();
    if (!request) throw new CercapecError(ErrorCode.noRequestForCode, 'no request present for this code');
    const pending = PENDING_STATUSES.includes(request.status);
    await trx
      .updateTable('requests')
      .set({
        dedup_code: null,
        deleted_at: now,
        updated_at: now,
        ...(pending ? { status: 'cancelled' as const, answered_at: now } : {}),
      })
      .where('id', '=', request.id)
      .execute();
    const refundedCents = pending ? await refundRequest(trx, request.id, now, 'richiesta cancellata') : 0;
    return { id: request.id, cancelled: pending, refundedCents };
  });
  if (result.cancelled) deps.notifier.answered(result.id);
  return result;
}
