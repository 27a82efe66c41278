import type { Store } from '../store/store.ts';
import type { AccountsTable } from '../store/schema.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import { recordAudit, type AuditBy } from '../audit/record-audit.ts';
import { validateCf11 } from '../taxid/index.ts';
import type { StatementHeader } from '../billing/statement-csv.ts';

/** Who an account's invoices are made out to (migration 0016); every field optional (null). */
export interface BillingDetails {
  /** Ragione sociale. */
  legalName: string | null;
  /** Partita IVA: 11 digits, without the IT prefix. */
  vatNumber: string | null;
  /** Codice destinatario SDI: 7 characters; '0000000' when invoices go to `pec`. */
  sdiCode: string | null;
  /** The PEC invoices go to. */
  pec: string | null;
  contactName: string | null;
  contactEmail: string | null;
  contactPhone: string | null;
}

/** Which field is wrong, as the forms name their messages. */
export type BillingProblem = 'legalName' | 'vatNumber' | 'sdiCode' | 'sdiNeedsPec' | 'pec' | 'contactName' | 'contactEmail' | 'contactPhone';

/** The SDI code of an invoice that goes by PEC instead of a codice destinatario. */
export const SDI_BY_PEC = '0000000';

const COLUMN: Record<keyof BillingDetails, keyof AccountsTable> = {
  legalName: 'billing_legal_name',
  vatNumber: 'billing_vat_number',
  sdiCode: 'billing_sdi_code',
  pec: 'billing_pec',
  contactName: 'billing_contact_name',
  contactEmail: 'billing_contact_email',
  contactPhone: 'billing_contact_phone',
};

/** Addresses of persons: the audit log says they changed, never what they are. */
const PERSONAL: ReadonlySet<keyof BillingDetails> = new Set(['pec', 'contactName', 'contactEmail', 'contactPhone']);

const EMAIL = /^[^\s@<>"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const PHONE = /^\+?[0-9][0-9 ./()-]{4,24}$/;

/** Typed text as billing details: trimmed, empty is null, codes upper-cased; the first wrong field otherwise. */
export function parseBillingDetails(input: Partial<Record<keyof BillingDetails, string | null>>): { details: BillingDetails } | { problem: BillingProblem } {
  const text = (value: string | null | undefined) => (value ?? '').trim() || null;
  const legalName = text(input.legalName);
  if (legalName !== null && legalName.length > 200) return { problem: 'legalName' };
  const vatNumber = text(input.vatNumber)?.toUpperCase().replace(/[\s.]/g, '').replace(/^IT/, '');
  if (vatNumber != null && (!/^\d{11}$/.test(vatNumber) || validateCf11(vatNumber) !== null)) return { problem: 'vatNumber' };
  const sdiCode = text(input.sdiCode)?.toUpperCase() ?? null;
  if (sdiCode !== null && !/^[A-Z0-9]{7}$/.test(sdiCode)) return { problem: 'sdiCode' };
  const pec = text(input.pec)?.toLowerCase() ?? null;
  if (pec !== null && (pec.length > 254 || !EMAIL.test(pec))) return { problem: 'pec' };
  if (sdiCode === SDI_BY_PEC && pec === null) return { problem: 'sdiNeedsPec' };
  const contactName = text(input.contactName);
  if (contactName !== null && contactName.length > 200) return { problem: 'contactName' };
  const contactEmail = text(input.contactEmail);
  if (contactEmail !== null && (contactEmail.length > 254 || !EMAIL.test(contactEmail))) return { problem: 'contactEmail' };
  const contactPhone = text(input.contactPhone);
  if (contactPhone !== null && !PHONE.test(contactPhone)) return { problem: 'contactPhone' };
  return { details: { legalName, vatNumber: vatNumber ?? null, sdiCode, pec, contactName, contactEmail, contactPhone } };
}

/** An account row's billing details. */
export function billingDetailsOf(row: Pick<AccountsTable, (typeof COLUMN)[keyof BillingDetails]>): BillingDetails {
  const details = {} as BillingDetails;
  for (const [key, column] of Object.entries(COLUMN) as [keyof BillingDetails, keyof typeof row][]) details[key] = (row[column] as string | null) ?? null;
  return details;
}

/** True when no field is set (a statement then has no header block). */
export function noBillingDetails(details: BillingDetails): boolean {
  return Object.values(details).every((v) => v === null);
}

/**
 * Replaces an account's billing details (checked again here: the CLI and the back office both
 * come this way), with the fields that changed in the audit log (persons' addresses only as
 * changed), in one transaction.
 */
export async function setBillingDetails(store: Store, accountId: string, now: number, input: BillingDetails, audit?: AuditBy): Promise<BillingDetails> {
  const parsed = parseBillingDetails(input);
  if ('problem' in parsed)
    throw new CercapecError(ErrorCode.invalidArgument, `the billing details are not valid (${parsed.problem})`, { field: parsed.problem });
  const details = parsed.details;
  return store.db.transaction().execute(async (trx) => {
    await store.dialect.lockAccount(trx, accountId);
    const row = await trx.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    if (!row) throw new CercapecError(ErrorCode.accountNotFound, `no account ${accountId}`);
    const current = billingDetailsOf(row);
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    const set: Record<string, string | null> = {};
    for (const key of Object.keys(COLUMN) as (keyof BillingDetails)[]) {
      if (current[key] === details[key]) continue;
      set[COLUMN[key]] = details[key];
      before[COLUMN[key]] = PERSONAL.has(key) ? (current[key] === null ? null : '…') : current[key];
      after[COLUMN[key]] = PERSONAL.has(key) ? (details[key] === null ? null : '…') : details[key];
    }
    if (Object.keys(set).length === 0) return current;
    await trx
      .updateTable('accounts')
      .set({ ...set, updated_at: now })
      .where('id', '=', accountId)
      .execute();
    if (audit) await recordAudit(trx, { at: now, actor: audit.actor, action: 'account.billing', target: accountId, before, after });
    return details;
  });
}

/** The header block of a monthly statement (CSV): none when the account has no billing details. */
export function statementHeader(accountName: string, d: BillingDetails): StatementHeader {
  if (noBillingDetails(d)) return [];
  return [
    ['intestatario', accountName],
    ['ragione_sociale', d.legalName],
    ['partita_iva', d.vatNumber],
    ['codice_destinatario_sdi', d.sdiCode],
    ['pec_fatturazione', d.pec],
    ['referente', d.contactName],
    ['email_referente', d.contactEmail],
    ['telefono_referente', d.contactPhone],
  ];
}
