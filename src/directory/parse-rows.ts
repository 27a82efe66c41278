import { validateTaxId } from '../taxid/index.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import type { AddressKind } from '../registries/registry.ts';
import type { CsvRecord } from './read-csv.ts';
import { normalizePec } from './pec-address.ts';

export interface DirectoryRow {
  line: number;
  code: string;
  pec: string;
  kind: AddressKind;
  label: string | null;
}

export interface RejectedRow {
  line: number;
  reason: string;
}

export type ParsedRow = { ok: DirectoryRow } | { rejected: RejectedRow };

const KINDS = new Set<AddressKind>(['impresa', 'professionista', 'ente', 'persona', 'sconosciuto']);

/**
 * Generic CSV: `codice_fiscale,pec` header, optional `denominazione` and `tipo`
 * (impresa, professionista, ente, persona). Several rows per code give several addresses.
 */
export function parseGenericRecord(record: CsvRecord): ParsedRow[] {
  const f = record.fields;
  if (!('codice_fiscale' in f) || !('pec' in f)) {
    throw new CercapecError(ErrorCode.datasetInvalid, 'the CSV header must name the columns codice_fiscale and pec');
  }
  const code = validateTaxId(f.codice_fiscale ?? '');
  if (!code.valid) return [{ rejected: { line: record.line, reason: `codice_fiscale: ${code.message}` } }];
  const pec = normalizePec(f.pec ?? '');
  if (!pec) return [{ rejected: { line: record.line, reason: 'pec: indirizzo non valido' } }];
  const tipo = (f.tipo ?? '').trim().toLowerCase() as AddressKind;
  const kind: AddressKind = KINDS.has(tipo) ? tipo : code.kind === 'cf16' ? 'persona' : 'sconosciuto';
  return [{ ok: { line: record.line, code: code.code, pec, kind, label: (f.denominazione ?? '').trim() || null } }];
}

/**
 * IPA open-data "enti": the PECs of an ente are the MailN whose Tipo_MailN is "Pec"
 * (N = 1..5; several are possible). Rows with no PEC are rejected with that reason.
 */
export function parseIpaEntiRecord(record: CsvRecord): ParsedRow[] {
  const f = record.fields;
  if (!('codice_fiscale_ente' in f) || !('mail1' in f)) {
    throw new CercapecError(ErrorCode.datasetInvalid, 'not an IPA enti file: Codice_fiscale_ente and Mail1 columns are missing');
  }
  const code = validateTaxId(f.codice_fiscale_ente ?? '');
  if (!code.valid) return [{ rejected: { line: record.line, reason: `Codice_fiscale_ente: ${code.message}` } }];
  const label = (f.denominazione_ente ?? '').trim() || null;
  const rows: ParsedRow[] = [];
  for (let n = 1; n <= 5; n++) {
    if ((f[`tipo_mail${n}`] ?? '').trim().toLowerCase() !== 'pec') continue;
    const pec = normalizePec(f[`mail${n}`] ?? '');
    if (!pec) rows.push({ rejected: { line: record.line, reason: `Mail${n}: indirizzo non valido` } });
    else rows.push({ ok: { line: record.line, code: code.code, pec, kind: 'ente', label } });
  }
  if (rows.length === 0) rows.push({ rejected: { line: record.line, reason: 'nessuna Mail di tipo Pec' } });
  return rows;
}
