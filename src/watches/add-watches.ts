import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { validateTaxId, type InvalidReason } from '../taxid/index.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { appendLedgerRows } from '../billing/ledger.ts';
import { canSpend } from '../billing/balance.ts';
import { insertRows } from '../store/insert-rows.ts';
import { DIRECTORY_SOURCE, localAddresses, MIRROR_SOURCES, sourceLoaded } from '../directory/local-sources.ts';
import { recordObservations } from './record-observations.ts';
import type { Observation } from '../history/observe.ts';
import { monthOf, watchChargeReason } from './month.ts';
import { LedgerKind } from '../billing/ledger-kind.ts';

/** Codes per call of POST /v1/watches. */
export const MAX_WATCH_CODES = 10_000;
const CHUNK = 1000;

export interface Rejected {
  input: string;
  reason: InvalidReason | 'missing';
  message: string;
}

export interface AddReport {
  added: number;
  alreadyWatched: number;
  rejected: Rejected[];
  chargedCents: number;
}

/**
 * Starts watching codes for an account. Invalid codes are reported with the text protocol's
 * reasons and the valid ones added; codes already watched stay as they are. The first month of
 * every new watch is charged now (accounts.watch_price_cents, one ledger row per code); a
 * prepaid account that cannot pay it adds none (insufficient_credit). A baseline of each code's
 * address in the local sources is recorded, so the next import that changes it is an event.
 */
export async function addWatches(
  store: Store,
  accountId: string,
  inputs: readonly string[],
  o: { reference: string | null; now: number; maxCodes?: number },
): Promise<AddReport> {
  // A file upload is bounded by the batch limits instead (maxCodes).
  const max = o.maxCodes ?? MAX_WATCH_CODES;
  if (inputs.length > max) throw new CercapecError(ErrorCode.invalidArgument, `at most ${max} codes per call`);
  const rejected: Rejected[] = [];
  const valid = new Map<string, 'cf16' | 'cf11'>();
  for (const input of inputs) {
    const checked = validateTaxId(input);
    if (checked.valid) valid.set(checked.code, checked.kind);
    else rejected.push({ input: String(input).slice(0, 40), reason: checked.reason, message: checked.message });
  }
  return store.db.transaction().execute(async (trx) => {
    await store.dialect.lockAccount(trx, accountId);
    const account = await trx
      .selectFrom('accounts')
      .select(['billing_mode', 'credit_limit_cents', 'balance_cents', 'watch_price_cents'])
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow();
    const codes = [...valid.keys()];
    const existing = new Set<string>();
    for (let i = 0; i < codes.length; i += CHUNK) {
      const rows = await trx
        .selectFrom('watches')
        .select('code')
        .where('account_id', '=', accountId)
        .where('code', 'in', codes.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) existing.add(r.code);
    }
    const fresh = codes.filter((c) => !existing.has(c));
    const price = Number(account.watch_price_cents ?? 0);
    const cost = price * fresh.length;
    if (!canSpend(account, Number(account.balance_cents), cost)) {
      throw new CercapecError(ErrorCode.insufficientCredit, `credito insufficiente: ${fresh.length} sorveglianze costano ${cost} centesimi questo mese`);
    }
    const month = monthOf(o.now);
    await recordBaselines(
      trx,
      fresh.map((code) => ({ code, kind: valid.get(code)! })),
      o.now,
    );
    await insertRows(
      trx,
      'watches',
      fresh.map((code) => ({
        account_id: accountId,
        code,
        kind: valid.get(code)!,
        reference: o.reference,
        created_at: o.now,
        billed_month: price > 0 ? month : null,
      })),
    );
    if (price > 0)
      await appendLedgerRows(
        trx,
        fresh.map(() => ({ accountId, amountCents: -price, kind: LedgerKind.charge, reason: watchChargeReason(month), now: o.now })),
      );
    return { added: fresh.length, alreadyWatched: existing.size, rejected, chargedCents: cost };
  });
}

/** What the local sources say of these codes now (none included), as observations. */
async function recordBaselines(trx: Transaction<Database>, codes: readonly { code: string; kind: 'cf16' | 'cf11' }[], now: number): Promise<void> {
  const mirrors: string[] = [];
  for (const source of MIRROR_SOURCES) if (await sourceLoaded(trx, source)) mirrors.push(source);
  for (let i = 0; i < codes.length; i += CHUNK) {
    const slice = codes.slice(i, i + CHUNK);
    const items: Observation[] = [];
    const sources: [string, typeof slice][] = [
      [DIRECTORY_SOURCE, slice],
      ...mirrors.map((m): [string, typeof slice] => [m, slice.filter((c) => c.kind === 'cf11')]),
    ];
    for (const [source, wanted] of sources) {
      const found = await localAddresses(
        trx,
        source,
        wanted.map((c) => c.code),
      );
      for (const { code } of wanted) items.push({ code, source, pec: found.get(code)?.pec ?? null, kind: found.get(code)?.kind ?? null });
    }
    await recordObservations(trx, items, now);
  }
}
