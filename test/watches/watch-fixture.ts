import pino from 'pino';
import type { Store } from '../../src/store/store.ts';
import type { Clock } from '../../src/clock.ts';
import { createLocalNotifier } from '../../src/queue/notifier.ts';
import { createWorker } from '../../src/queue/worker.ts';
import { createRecheckHandler } from '../../src/watches/recheck-job.ts';
import { WATCH_QUEUE } from '../../src/directory/dataset-changed.ts';
import type { Registry } from '../../src/registries/registry.ts';

/** Queued or running watch jobs (re-checks still to do). */
export async function watchJobs(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('queue', '=', WATCH_QUEUE)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Runs the watch queue until it is empty, with a fresh worker (as after a restart). Bounded:
 * at most `rounds` idle waits.
 */
export async function drainWatchQueue(
  store: Store,
  clock: Clock,
  o: { chunk?: number; perJob?: number; rounds?: number; remoteSource?: (id: string) => Registry | undefined } = {},
): Promise<void> {
  const logger = pino({ level: 'silent' });
  const notifier = createLocalNotifier();
  const worker = createWorker({
    store,
    clock,
    logger,
    notifier,
    queue: WATCH_QUEUE,
    handler: createRecheckHandler({ store, clock, logger, notifier, chunk: o.chunk, perJob: o.perJob, remoteSource: o.remoteSource }),
    concurrency: 1,
    pollIntervalMs: 10,
  });
  worker.start();
  try {
    for (let round = 0; round < (o.rounds ?? 200) && (await watchJobs(store)) > 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await worker.idle();
    }
    if ((await watchJobs(store)) > 0) throw new Error('the watch queue did not drain');
  } finally {
    await worker.stop(1000);
    await notifier.close?.();
  }
}
