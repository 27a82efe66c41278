import { stringify } from 'csv-stringify/sync';
import type { StandinDataset } from '../dataset.ts';

/** The CKAN resource id of the IPA "enti" dataset (REGISTRIES.md §4.1); the dump URL names it. */
export const ENTI_RESOURCE_ID = 'd09adf99-dc10-4349-8c53-27b1e5aa97b6';

/**
 * The current enti layout as the CKAN datastore dump serves it: `_id` first, then the
 * columns of the open-data file (the same header as data/ipa/enti-sample-comuni.csv).
 */
export const ENTI_DUMP_COLUMNS = [
  '_id',
  'Codice_IPA',
  'Denominazione_ente',
  'Codice_fiscale_ente',
  'Tipologia',
  'Codice_Categoria',
  'Codice_natura',
  'Codice_ateco',
  'Ente_in_liquidazione',
  'Codice_MIUR',
  'Codice_ISTAT',
  'Acronimo',
  'Nome_responsabile',
  'Cognome_responsabile',
  'Titolo_responsabile',
  'Codice_comune_ISTAT',
  'Codice_catastale_comune',
  'CAP',
  'Indirizzo',
  'Mail1',
  'Tipo_Mail1',
  'Mail2',
  'Tipo_Mail2',
  'Mail3',
  'Tipo_Mail3',
  'Mail4',
  'Tipo_Mail4',
  'Mail5',
  'Tipo_Mail5',
  'Sito_istituzionale',
  'Url_facebook',
  'Url_linkedin',
  'Url_twitter',
  'Url_youtube',
  'Data_aggiornamento',
] as const;

type Ente = StandinDataset['enti'][number];

/**
 * The dump's CSV for these enti: every PEC as a MailN of type "Pec", plus an ordinary mailbox
 * ("Altro") that must never be answered; addresses with a comma, so quoting is exercised.
 * CRLF line ends, as CKAN writes them; a UTF-8 BOM when asked (`?bom=True`).
 */
export function entiDumpCsv(enti: readonly Ente[], bom = true): string {
  const rows = enti.map((ente, i) => {
    const mails: string[] = [];
    for (const pec of ente.pecs.slice(0, 4)) mails.push(pec, 'Pec');
    mails.push(`info@${ente.codIpa.replace(/_/g, '-')}.comune.example`, 'Altro');
    while (mails.length < 10) mails.push('');
    return [
      String(i + 1),
      ente.codIpa,
      ente.name,
      ente.cf,
      'Pubbliche Amministrazioni',
      'L6',
      '2430',
      '84.11.10',
      '',
      '',
      String(100_000 + i),
      '',
      'Maria',
      'Rossi',
      'Sindaco',
      String(1000 + i).padStart(6, '0'),
      `Z${String(100 + (i % 900))}`,
      '00100',
      `Piazza Municipio, ${1 + (i % 40)}`,
      ...mails,
      `www.${ente.codIpa}.comune.example`,
      '',
      '',
      '',
      '',
      '2026-06-30',
    ];
  });
  const csv = stringify([[...ENTI_DUMP_COLUMNS], ...rows], { record_delimiter: 'windows' });
  return bom ? `\uFEFF${csv}` : csv;
}
