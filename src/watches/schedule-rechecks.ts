import type { MaintenanceTask } from '../queue/maintenance.ts';
import { enqueueRemoteRecheck } from './recheck-job.ts';
import { WATCH_QUEUE } from '../directory/dataset-changed.ts';

const HOUR = 3_600_000;

/**
 * The schedule of remote re-checks (config watchRecheckHours, e.g. INAD daily, INI-PEC
 * weekly): every hour, each configured remote source without a re-check in the queue gets one
 * for the watched codes it last answered more than its interval ago. A cycle is thus spread
 * over the interval instead of asking every code at once.
 */
export function scheduleRechecksTask(intervals: ReadonlyMap<string, number>, configured: (id: string) => boolean): MaintenanceTask {
  return {
    name: 'schedule-watch-rechecks',
    everyMs: HOUR,
    async run(trx, now) {
      let queued = 0;
      const pending = await trx.selectFrom('jobs').select('payload').where('queue', '=', WATCH_QUEUE).execute();
      const busy = new Set(
        pending
          .map((j) => JSON.parse(j.payload) as { kind: string; source: string })
          .filter((p) => p.kind === 'remote')
          .map((p) => p.source),
      );
      for (const [source, interval] of intervals) {
        if (!configured(source) || busy.has(source)) continue;
        await enqueueRemoteRecheck(trx, source, now - interval, now);
        queued++;
      }
      return { queued };
    },
  };
}
