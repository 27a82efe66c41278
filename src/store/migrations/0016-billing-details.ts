import type { Kysely } from 'kysely';

/**
 * An account's billing details (issue 17, part 2 item 12), shown on its monthly statements and in
 * the portal: ragione sociale, partita IVA, codice destinatario SDI, the PEC invoices go to, and a
 * contact. All optional (null): accounts made before this have none.
 */
const COLUMNS = [
  'billing_legal_name',
  'billing_vat_number',
  'billing_sdi_code',
  'billing_pec',
  'billing_contact_name',
  'billing_contact_email',
  'billing_contact_phone',
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const column of COLUMNS) await db.schema.alterTable('accounts').addColumn(column, 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of [...COLUMNS].reverse()) await db.schema.alterTable('accounts').dropColumn(column).execute();
}
