import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../context.ts';
import { openStore, type Store } from '../../store/store.ts';
import { copyStore } from '../../store/copy-store.ts';

const DATABASE_URL = /^postgres(ql)?:\/\//;

/**
 * A postgres:// or postgresql:// URL names a database; anything else is the data folder of an
 * embedded store. The source folder must already hold a store: a mistyped path would otherwise
 * open a new, empty one and "copy" nothing.
 */
async function openLocation(role: 'source' | 'target', location: string, schema?: string): Promise<Store> {
  const option = role === 'source' ? '--from' : '--to';
  if (!DATABASE_URL.test(location)) {
    if (schema) throw new UsageError(`${option}-schema applies only to a postgres:// ${role}`);
    const dir = resolve(location);
    if (role === 'source' && !existsSync(join(dir, 'cercapec.sqlite'))) {
      throw new UsageError(`${option} ${location}: no cercapec store in that folder (cercapec.sqlite not found)`);
    }
    return openStore({ dataDir: dir });
  }
  try {
    // The copy holds one connection per store (a snapshot on the source, a transaction on the target).
    return await openStore({ databaseUrl: location, dataDir: '', schema, poolSize: 2 });
  } catch (error) {
    throw new Error(`cannot open the ${role} database: ${reason(error)}`, { cause: error });
  }
}

/** pg rejects a refused connection to localhost (::1 and 127.0.0.1) with an AggregateError with no message. */
function reason(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return reason(error.errors[0]);
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}

export function copyStoreCommand(program: Command): void {
  program
    .command('copy-store')
    .description('copy a whole installation between stores: embedded (data folder) <-> PostgreSQL (URL)')
    .requiredOption('--from <dir|url>', 'source: a data folder or postgres://...')
    .requiredOption('--to <dir|url>', 'target: a data folder or postgres://... (must be empty unless --replace)')
    .option('--from-schema <name>', 'PostgreSQL schema of the source')
    .option('--to-schema <name>', 'PostgreSQL schema of the target (created if missing)')
    .option('--replace', 'empty the target first (in the same transaction as the copy)')
    .action(async (opts) => {
      const from = await openLocation('source', opts.from, opts.fromSchema);
      try {
        const to = await openLocation('target', opts.to, opts.toSchema);
        try {
          const progress = process.stderr.isTTY
            ? (table: string, copied: number, total: number) => process.stderr.write(`\r${table}: ${copied}/${total}\x1b[K`)
            : undefined;
          const counts = await copyStore(from, to, { replace: Boolean(opts.replace), onProgress: progress });
          if (progress) process.stderr.write('\r\x1b[K');
          for (const [table, n] of Object.entries(counts)) console.log(`${table}\t${n}`);
          console.log(`total\t${Object.values(counts).reduce((a, b) => a + b, 0)}`);
          console.log(`copied ${from.description} -> ${to.description}`);
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });
}
