import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { compileOnce } from '../store/compile-once.ts';
import { createGroupCommit } from '../store/group-commit.ts';
import { executePrepared } from '../store/execute-prepared.ts';
import type { AddressKind, FoundAddress, Registry, RegistryAnswer } from './registry.ts';

interface EntryRow {
  code: string;
  pec: string;
  kind: string;
  label: string | null;
  dataset_id: string;
}

/** The entries our own datasets hold: those a registry mirror keeps answer as that registry (ipa-mirror), not as ours. */
const ownEntries = (db: Kysely<Database>) =>
  db
    .selectFrom('directory_entries')
    .innerJoin('datasets', 'datasets.id', 'directory_entries.dataset_id')
    .select(['directory_entries.code', 'directory_entries.pec', 'directory_entries.kind', 'directory_entries.label', 'directory_entries.dataset_id'])
    .where('datasets.managed_by', 'is', null);

// Every submission asks the directory first (inline answers): compiled once (see compileOnce).
const entriesOfCode = compileOnce<'code' | 'limit', EntryRow>((db, param) =>
  ownEntries(db)
    .where('directory_entries.code', '=', param('code'))
    .orderBy('datasets.imported_at', 'desc')
    .orderBy('directory_entries.position')
    .limit(param('limit')),
);

/**
 * The first source: datasets imported by the operator (generic CSV, IPA enti). Newer datasets
 * come first; within a dataset, addresses keep their order in the file.
 *
 * A single lookup reads through the store's reading connection: on SQLite the writer is held by
 * the group commit's transaction, and a submission's inline lookup waited behind it (8% of a
 * submit's server CPU was this read, and every submission queued for the writer twice).
 */
export function createLocalDirectory(store: Store): Registry {
  const entries = (codes: readonly string[]) =>
    ownEntries(store.db)
      .where('directory_entries.code', 'in', codes)
      .orderBy('directory_entries.code')
      .orderBy('datasets.imported_at', 'desc')
      .orderBy('directory_entries.position');
  async function lookupMany(codes: readonly string[]): Promise<Map<string, RegistryAnswer>> {
    if (codes.length === 0) return new Map();
    return groupByCode(await entries(codes).execute());
  }
  // Where a read is a round trip to the server (PostgreSQL), the single lookups of concurrent
  // submissions go together: one statement for those that arrive while one is being read. It
  // is built once, its codes one array parameter, and runs prepared (store/execute-prepared.ts):
  // built, compiled and planned at each read it cost about 800 µs of the process's CPU and 300
  // of the server's, for 17 codes as for one.
  const gatheredRead = store.dialect.gatherReads ? gatheredEntries(store.db) : null;
  const gathered = gatheredRead
    ? createGroupCommit<string, RegistryAnswer>({
        maxGroup: 256,
        concurrency: 2,
        run: async (codes) => {
          const answers = groupByCode(await executePrepared(store, { ...gatheredRead, parameters: [[...new Set(codes)]] }));
          return codes.map((code) => answers.get(code) ?? answerOf([]));
        },
      })
    : null;
  return {
    id: 'directory',
    kinds: ['cf16', 'cf11'],
    cacheable: false,
    async lookup(query) {
      if (gathered) return gathered.submit(query.code);
      return answerOf(await entriesOfCode(store.reader, { code: query.code, limit: 50 }));
    },
    lookupMany,
  };
}

/** The many read with its codes as one array parameter (PostgreSQL), compiled once: its text never changes. */
function gatheredEntries(db: Kysely<Database>): CompiledQuery<EntryRow> {
  const compiled = ownEntries(db)
    .where(sql<boolean>`directory_entries.code = any(${[]}::text[])`)
    .orderBy('directory_entries.code')
    .orderBy('datasets.imported_at', 'desc')
    .orderBy('directory_entries.position')
    .compile();
  if (compiled.parameters.length !== 1) throw new Error('the gathered directory read must have the codes as its only parameter');
  return compiled;
}

/** Rows ordered by code, each code's in the single lookup's order: the answer of each code. */
function groupByCode(rows: readonly EntryRow[]): Map<string, RegistryAnswer> {
  const answers = new Map<string, RegistryAnswer>();
  let from = 0;
  for (let i = 1; i <= rows.length; i++) {
    if (i === rows.length || rows[i].code !== rows[from].code) {
      answers.set(rows[from].code, answerOf(rows.slice(from, Math.min(i, from + 50))));
      from = i;
    }
  }
  return answers;
}

/** One code's rows, newest dataset first: found with each PEC once, or not found. */
function answerOf(rows: readonly EntryRow[]): RegistryAnswer {
  if (rows.length === 0) return { outcome: 'not_found' };
  const seen = new Set<string>();
  const addresses: FoundAddress[] = rows
    .filter((r) => !seen.has(r.pec.toLowerCase()) && seen.add(r.pec.toLowerCase()))
    .map((r) => ({ pec: r.pec, kind: r.kind as AddressKind, source: 'directory', datasetId: r.dataset_id, label: r.label }));
  return { outcome: 'found', addresses };
}
