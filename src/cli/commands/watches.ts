import type { Command } from 'commander';
import { systemClock } from '../../clock.ts';
import { storeOptions, UsageError, withStore } from '../context.ts';
import { DIRECTORY_SOURCE, MIRROR_SOURCES, sourceLoaded } from '../../directory/local-sources.ts';
import { enqueueRemoteRecheck } from '../../watches/recheck-job.ts';
import { datasetChanged } from '../../directory/dataset-changed.ts';
import { parseRecheckHours } from '../../watches/recheck-remote.ts';
import { watchCounts } from '../../watches/list-watches.ts';

/** `cercapec watches`: the operator's side of watches (docs/watches.md). */
export function watchesCommand(program: Command): void {
  const watches = program.command('watches').description('watched codes: re-checks and counts');

  storeOptions(
    watches
      .command('recheck')
      .description(
        'queue a re-check cycle now: the local sources, and with --remote the remote ones (every watched code asked again); a running server does it',
      ),
  )
    .option('--remote', 'also ask the remote sources of watchRecheckHours again about every watched code')
    .option('--source <id>', 'only this source')
    .action(async (opts) => {
      await withStore(opts, async (store, config) => {
        const now = systemClock.now();
        const queued: string[] = [];
        for (const source of [DIRECTORY_SOURCE, ...MIRROR_SOURCES]) {
          if (opts.source && opts.source !== source) continue;
          if (!(await sourceLoaded(store.db, source))) continue;
          await datasetChanged(store.db, source, now);
          queued.push(source);
        }
        if (opts.remote || (opts.source && !queued.includes(opts.source))) {
          for (const source of parseRecheckHours(config.watchRecheckHours).keys()) {
            if (opts.source && opts.source !== source) continue;
            await enqueueRemoteRecheck(store.db, source, now, now);
            queued.push(source);
          }
        }
        if (queued.length === 0)
          throw new UsageError(
            opts.source ? `no source ${opts.source} to re-check (local sources need data; remote ones must be in watchRecheckHours)` : 'nothing to re-check',
          );
        console.log(`re-check queued: ${queued.join(', ')}`);
      });
    });

  storeOptions(watches.command('stats').description('watches, watched codes and events of the last 30 days')).action(async (opts) => {
    await withStore(opts, async (store) => {
      const n = await watchCounts(store.db, systemClock.now() - 30 * 86_400_000);
      console.log(`${n.watches} watches of ${n.codes} codes; ${n.events} events in the last 30 days`);
    });
  });
}
