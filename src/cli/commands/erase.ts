import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { systemClock } from '../../clock.ts';
import { CLI_ACTOR } from '../../audit/record-audit.ts';
import { eraseCode } from '../../privacy/erase-code.ts';
import { validateTaxId } from '../../taxid/index.ts';
import { storeOptions, UsageError, withStore } from '../context.ts';

/**
 * `cercapec erase`: a data subject's erasure request, code by code (src/privacy/erase-code.ts).
 * Codes may come on stdin, one per line, so they stay out of `ps` and shell history.
 */
export function eraseCommand(program: Command): void {
  storeOptions(
    program
      .command('erase [code...]')
      .description('erase everything held under a codice fiscale, in every account (GDPR art. 17); pending requests are refunded'),
  )
    .option('--stdin', 'read the codes from stdin, one per line (keeps them out of ps and shell history)')
    .action(async (args: string[], opts) => {
      const codes = opts.stdin ? await readLines() : args;
      if (codes.length === 0) throw new UsageError('no code given: cercapec erase <code>... or --stdin');
      const invalid = codes.flatMap((c, i) => (validateTaxId(c).valid ? [] : [`#${i + 1}`]));
      if (invalid.length > 0) throw new UsageError(`not a valid codice fiscale or partita IVA: ${invalid.join(', ')}; nothing erased`);
      await withStore(opts, async (store) => {
        for (const [i, code] of codes.entries()) {
          const n = await eraseCode(store, systemClock, code, CLI_ACTOR);
          // The code is not echoed back: the output may end up in a ticket or a log.
          console.log(
            `#${i + 1}: erased ${n.requests} requests (${n.refunded} pending, refunded), ${n.batchRows} batch rows, ` +
              `${n.directoryEntries} directory entries, ${n.names} searchable names, ${n.cacheEntries} cached answers, ${n.webhookDeliveries} webhook deliveries, ${n.observations} history entries, ${n.watches} watches, ${n.watchEvents} watch events`,
          );
        }
      });
    });
}

async function readLines(): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: process.stdin })) if (line.trim() !== '') lines.push(line.trim());
  return lines;
}
