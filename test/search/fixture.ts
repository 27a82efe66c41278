import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cf11CheckDigit } from '../../src/taxid/cf11.ts';
import { readDump } from '../../src/registries/ipa-mirror/read-dump.ts';
import { replaceMirrorDataset } from '../../src/registries/ipa-mirror/replace-dataset.ts';
import type { Store } from '../../src/store/store.ts';

/** The 48 real IPA rows of the demo (CC BY 4.0, AgID), plus the test's own rows below. */
const DEMO = fileURLToPath(new URL('../../demo/enti-sample-comuni.csv', import.meta.url));

export const dir = mkdtempSync(join(tmpdir(), 'cercapec-search-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A valid 11-digit code (check digit computed), distinct per n, far from the demo's. */
export function testCode(n: number): string {
  const first10 = `${String(9_100_000 + n).padStart(7, '0')}001`;
  return `${first10}${cf11CheckDigit(first10)}`;
}

/** Bodies that are not comuni, for acronyms, categories and provinces other than the demo's. */
export const EXTRA_ENTI = [
  { ipa: 'asl_rm1', name: 'Azienda Sanitaria Locale Roma 1', acronym: 'ASL ROMA 1', category: 'L7', istat: '058091', pec: 'protocollo@pec.aslroma1.it' },
  {
    ipa: 'asl_rm2',
    name: 'Azienda Sanitaria Locale Roma 2',
    acronym: 'ASL ROMA 2',
    category: 'L7',
    istat: '058091',
    pec: 'protocollo.generale@pec.aslroma2.it',
  },
  { ipa: 'oa_mi', name: 'Ordine degli Avvocati di Milano', acronym: '', category: 'C13', istat: '015146', pec: 'segreteria@cert.ordineavvocatimilano.it' },
  { ipa: 'c_c745', name: 'Comune di Città di Castello', acronym: '', category: 'L6', istat: '054013', pec: 'comune.cittadicastello@postacert.umbria.it' },
];

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The demo file with EXTRA_ENTI appended, in the enti format (same header). */
export function ipaFile(name = 'enti.csv', extra = EXTRA_ENTI): string {
  const demo = readFileSync(DEMO, 'utf8').replace(/\s+$/, '');
  const header = demo
    .split(/\r?\n/)[0]
    .replace(/^\uFEFF/, '')
    .split(',');
  const lines = extra.map((e, i) => {
    const row: Record<string, string> = {
      Codice_IPA: e.ipa,
      Denominazione_ente: e.name,
      Codice_fiscale_ente: testCode(i),
      Codice_Categoria: e.category,
      Acronimo: e.acronym,
      Codice_comune_ISTAT: e.istat,
      Mail1: e.pec,
      Tipo_Mail1: 'Pec',
      _id: String(90_000 + i),
    };
    return header.map((h) => csvCell(row[h] ?? '')).join(',');
  });
  const path = join(dir, name);
  writeFileSync(path, `${demo}\n${lines.join('\n')}\n`);
  return path;
}

/** Loads an enti file into the mirror the way a refresh does (read, then swap in one transaction). */
export async function loadMirror(store: Store, file = ipaFile(), now = 1_700_000_000_000): Promise<string> {
  const content = await readDump(file);
  return replaceMirrorDataset(store, { source: 'ipa-mirror', content, etag: null, lastModified: null, now });
}

export function writeFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Names of a page, in order: the dialect-independent view the ranking tests compare. */
export const names = (page: { items: { name: string }[] }) => page.items.map((i) => i.name);
