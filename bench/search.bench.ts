// Name search (issue #19) on the embedded store: 24,000 enti in the IPA mirror (the demo's 48
// real rows, then generated names) and a 1,000,000-row customer dataset with names; search p99
// against a primary-key lookup of a code measured in the same run, and searches during a
// mirror refresh (a gap would be a search that misses a body the mirror holds).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore, type Store } from '../src/store/store.ts';
import { readDump, type DumpContent } from '../src/registries/ipa-mirror/read-dump.ts';
import { replaceMirrorDataset } from '../src/registries/ipa-mirror/replace-dataset.ts';
import { insertNames, type NameRow } from '../src/search/name-index.ts';
import { searchNames, SEARCH_CANDIDATES, SEARCH_SCAN } from '../src/search/search-names.ts';
import { parseQuery } from '../src/search/search-query.ts';
import { cf11CheckDigit } from '../src/taxid/cf11.ts';
import { seededRandom } from '../src/seeded-random.ts';
import { percentile, round } from './lib/stats.ts';
import { ROOT } from './lib/processes.ts';
import type { Bench } from './lib/bench.ts';

const ENTI = 24_000;
const CUSTOMER_ROWS = 1_000_000;
const SEARCHES = 500;
const SYLLABLES = [
  'ra',
  're',
  'ri',
  'ro',
  'ru',
  'ma',
  'me',
  'mo',
  'sa',
  'se',
  'so',
  'ta',
  'te',
  'to',
  'la',
  'le',
  'lo',
  'na',
  'ne',
  'no',
  'ca',
  'co',
  'ga',
  'go',
  'pa',
  'po',
  'va',
  'vi',
  'zi',
  'zo',
  'bra',
  'tri',
  'ste',
  'glio',
  'gna',
  'sco',
];
const KINDS = ['Comune di', 'Istituto Comprensivo', 'Azienda Sanitaria Locale', 'Ordine degli Avvocati di', 'Consorzio di Bonifica', 'Unione dei Comuni'];
const GIVEN = ['Mario', 'Giulia', 'Luca', 'Anna', 'Marco', 'Sara', 'Paolo', 'Laura', 'Andrea', 'Elena', 'Giorgio', 'Chiara'];
const FORMS = ['S.r.l.', 'S.p.A.', 'S.n.c.', '& C.', 'Studio', 'Ditta'];

function code(n: number): string {
  const first10 = String(n).padStart(10, '0');
  return `${first10}${cf11CheckDigit(first10)}`;
}

function word(random: () => number): string {
  const n = 2 + Math.floor(random() * 3);
  let w = '';
  for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  return w[0].toUpperCase() + w.slice(1);
}

async function mirrorContent(random: () => number): Promise<DumpContent> {
  const real = await readDump(`${ROOT}demo/enti-sample-comuni.csv`);
  const content: DumpContent = { rowsRead: ENTI, entries: [...real.entries], names: [...real.names], rowsRejected: 0 };
  for (let i = content.names.length; i < ENTI; i++) {
    const c = code(1_000_000 + i);
    const name = `${KINDS[Math.floor(random() * KINDS.length)]} ${word(random)}${random() < 0.3 ? ` ${word(random)}` : ''}`;
    content.names.push({ code: c, name, category: random() < 0.3 ? 'L6' : 'L7' });
    content.entries.push({ line: i + 2, code: c, pec: `protocollo@pec.ente${i}.it`, kind: 'ente', label: name });
  }
  return content;
}

async function loadCustomer(store: Store, random: () => number): Promise<string[]> {
  const datasetId = 'ds_bench_customer';
  await store.db
    .insertInto('datasets')
    .values({
      id: datasetId,
      name: 'clienti',
      format: 'csv',
      source_file: 'bench',
      rows_read: CUSTOMER_ROWS,
      rows_imported: CUSTOMER_ROWS,
      rows_rejected: 0,
      imported_at: Date.now(),
      managed_by: null,
    })
    .execute();
  const sample: string[] = [];
  const BATCH = 5_000;
  for (let start = 0; start < CUSTOMER_ROWS; start += BATCH) {
    const names: NameRow[] = [];
    const entries: { dataset_id: string; code: string; position: number; pec: string; kind: string; label: null }[] = [];
    for (let i = start; i < start + BATCH; i++) {
      const c = code(2_000_000_000 + i);
      const person = random() < 0.5;
      const name = person
        ? `${GIVEN[Math.floor(random() * GIVEN.length)]} ${word(random)}`
        : `${word(random)} ${word(random)} ${FORMS[Math.floor(random() * FORMS.length)]}`;
      names.push({ code: c, name });
      entries.push({ dataset_id: datasetId, code: c, position: 0, pec: `cliente${i}@pec.example.it`, kind: person ? 'persona' : 'impresa', label: null });
      if (i % 997 === 0) sample.push(name);
    }
    await store.db.transaction().execute(async (trx) => {
      await insertNames(trx, datasetId, names);
      for (let j = 0; j < entries.length; j += 500)
        await trx
          .insertInto('directory_entries')
          .values(entries.slice(j, j + 500))
          .execute();
    });
  }
  return sample;
}

/** Queries as people type them: a whole name, its distinctive word, the start of a word, two words out of order. */
function queries(names: string[], random: () => number): string[] {
  const out: string[] = [];
  for (let i = 0; i < SEARCHES; i++) {
    const name = names[Math.floor(random() * names.length)];
    const words = name.split(/\s+/).filter((w) => w.length > 2);
    const last = words[words.length - 1] ?? name;
    switch (i % 4) {
      case 0:
        out.push(name);
        break;
      case 1:
        out.push(last);
        break;
      case 2:
        out.push(last.slice(0, Math.max(3, Math.ceil(last.length / 2))));
        break;
      default:
        out.push([...words].reverse().join(' ').toLowerCase());
    }
  }
  return out;
}

/** Wall time of each call, and the process's CPU time (what it costs without the machine's other load). */
async function timeEach(items: string[], fn: (q: string) => Promise<unknown>): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (const q of items) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn(q);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

/** How many queries of each kind: a count of words and how many postings their driving word has. */
function mixOf(qs: string[]): string {
  const kinds = new Map<string, number>();
  for (const q of qs) {
    const { required } = parseQuery(q);
    const kind = `${required.length === 1 ? 'one word' : 'several words'}${required.some((w) => w.length <= 2) ? ' (one of 1-2 letters)' : ''}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds].map(([k, n]) => `${n} ${k}`).join(', ');
}

export const searchBench: Bench = {
  name: 'search',
  description: `name search: ${ENTI.toLocaleString('en')} IPA enti + ${CUSTOMER_ROWS.toLocaleString('en')}-row customer dataset (SQLite, name_words B-tree)`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'cercapec-bench-search-'));
    const store = await openStore({ dataDir: dir });
    try {
      const random = seededRandom(19);
      const content = await mirrorContent(random);
      let t0 = performance.now();
      await replaceMirrorDataset(store, { source: 'ipa-mirror', content, etag: null, lastModified: null, now: Date.now() });
      const mirrorLoadS = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const customerNames = await loadCustomer(store, random);
      const customerLoadS = (performance.now() - t0) / 1000;
      await sql`analyze`.execute(store.db);

      const qs = queries([...content.names.map((n) => n.name), ...customerNames], random);
      // As GET /v1/search calls it for an account (src/protocol/json/routes/search.ts), in process:
      // the figure leaves out HTTP, the key check and the charge.
      const search = (q: string) => searchNames(store, q, { account: 'acc_bench', limit: 20 });
      await timeEach(qs.slice(0, 50), search);
      const { wall: times, cpu } = await timeEach(qs, search);
      const codes = qs.map((_, i) => content.entries[i % content.entries.length].code);
      // Baseline: the mirror's own lookup of a code (a primary-key-like index read), same store, same run.
      const lookup = (await timeEach(codes, (c) => store.reader.selectFrom('directory_entries').select(['pec', 'kind']).where('code', '=', c).execute())).wall;

      // Refresh under searches: every search must find the Comune di Rezzoaglio.
      let refreshing = true;
      t0 = performance.now();
      const refresh = replaceMirrorDataset(store, { source: 'ipa-mirror', content, etag: null, lastModified: null, now: Date.now() }).finally(
        () => (refreshing = false),
      );
      let during = 0;
      let gaps = 0;
      const duringTimes: number[] = [];
      while (refreshing) {
        const s0 = performance.now();
        const page = await search('comune di rezzoaglio');
        duringTimes.push(performance.now() - s0);
        if (page.items[0]?.code !== '82003050109' || page.items[0].pecs.length === 0) gaps++;
        during++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await refresh;
      const refreshS = (performance.now() - t0) / 1000;

      const p99 = round(percentile(times, 99), 3);
      return {
        name: 'search',
        figures: {
          'mirror load (24,000 enti) s': round(mirrorLoadS, 1),
          'customer load (1M names) s': round(customerLoadS, 1),
          'search p50 ms': round(percentile(times, 50), 3),
          'search p99 ms': p99,
          'search max ms': round(Math.max(...times), 1),
          'search CPU p50 ms': round(percentile(cpu, 50), 3),
          'search CPU p99 ms': round(percentile(cpu, 99), 3),
          'baseline code lookup p50 ms': round(percentile(lookup, 50), 3),
          'baseline code lookup p99 ms': round(percentile(lookup, 99), 3),
          'refresh s': round(refreshS, 1),
          'searches during refresh': during,
          'searches that missed during refresh': gaps,
          'search during refresh max ms': round(Math.max(0, ...duringTimes), 1),
        },
        goals: [
          { name: 'search p99', value: p99, target: 5, kind: 'max', unit: 'ms' },
          { name: 'missed during refresh', value: gaps, target: 0, kind: 'max', unit: 'searches' },
        ],
        notes: [
          `${qs.length} searches after 50 to warm up, one at a time, searchNames() in process as GET /v1/search calls it for an account (no HTTP, key check nor charge)`,
          `query mix: names drawn from the enti and a 1-in-997 sample of the customer names, a quarter each typed whole, as their last word, as the first half of it (3+ letters), as their words reversed; ${mixOf(qs)}`,
          'SQLite embedded store (PostgreSQL is not measured here); the search reads on its own connection (WAL, mmap) while the refresh writes',
          "better-sqlite3 is synchronous: the refresh transaction holds this process's event loop, so few searches run during it here (a server with --role worker refreshing in another process does not)",
          `broad prefixes and frequent given names match tens of thousands of the 1M names: at most ${SEARCH_CANDIDATES} candidates of the rarest query word are ranked (src/search/search-names.ts), reading at most ${SEARCH_SCAN} postings`,
        ],
      };
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
