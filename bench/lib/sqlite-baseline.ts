import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { round } from './stats.ts';

/**
 * The storage-bound benchmarks' baseline, measured in the same run: better-sqlite3 alone writing
 * `rows` (code, pec) rows with a secondary index on code, 2,000 rows per transaction, WAL and
 * synchronous=NORMAL like the store. Import and batch times are also given as multiples of it,
 * because on a shared machine the absolute seconds move by 3x from one day to the next while
 * the multiples do not. No cercapec code runs in it.
 */
export function sqliteBaselineSeconds(rows = 1_000_000): number {
  const dir = mkdtempSync(join(tmpdir(), 'cercapec-baseline-'));
  const db = new BetterSqlite3(join(dir, 'baseline.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('create table t (id integer primary key, code text not null, pec text not null); create index t_code on t (code)');
    const insert = db.prepare('insert into t (code, pec) values (?, ?)');
    const chunk = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run(String(10_000_000_000 + i), `p${i}@pec.example.it`);
    });
    const t0 = performance.now();
    for (let from = 0; from < rows; from += 2000) chunk(from, Math.min(rows, from + 2000));
    return round((performance.now() - t0) / 1000, 3);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
