import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import type { Notifier } from '../queue/notifier.ts';
import type { JobHandler } from '../queue/worker.ts';
import { addJob } from '../queue/add-job.ts';
import { WEBHOOK_QUEUE } from '../webhooks/webhook-status.ts';
import { recheckLocalSource } from './recheck-local.ts';
import { recheckRemoteSource } from './recheck-remote.ts';
import type { Registry } from '../registries/registry.ts';
import { WATCH_QUEUE, type LocalRecheckPayload } from '../directory/dataset-changed.ts';

export type RecheckPayload =
  | LocalRecheckPayload
  | {
      kind: 'remote';
      source: string;
      after: string | null;
      /** Codes last answered by the source before this are asked again. */
      staleBefore: number;
    };

/** Asks for a re-check of a remote source: watched codes it last answered before staleBefore are asked again. */
export async function enqueueRemoteRecheck(db: Kysely<Database> | Transaction<Database>, source: string, staleBefore: number, now: number): Promise<void> {
  await addJob(db, { queue: WATCH_QUEUE, payload: { kind: 'remote', source, after: null, staleBefore } satisfies RecheckPayload, now, maxAttempts: 20 });
}

export interface RecheckHandlerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
  /** The configured remote sources, by id (remote re-checks); absent: none. */
  remoteSource?: (id: string) => Registry | undefined;
  /** Codes per transaction (default 2,000). */
  chunk?: number;
  /** Codes per job: a longer walk continues in a new job, so no lease is held for long (default 50,000). */
  perJob?: number;
}

/**
 * The watch queue's handler: a job re-checks one slice of a source and, in the transaction that
 * completes it, queues the next slice. A worker that dies mid-slice leaves the job to be claimed
 * again; the slice starts over and finds the changes already recorded.
 */
export function createRecheckHandler(d: RecheckHandlerDeps): JobHandler {
  const chunk = d.chunk ?? 2000;
  const perJob = d.perJob ?? 50_000;
  return {
    async run(job, ctx) {
      const payload = job.payload as RecheckPayload;
      let report: { done: boolean; last: string | null; changes: number; webhooks: number; checked: number };
      if (payload.kind === 'remote') {
        const source = d.remoteSource?.(payload.source);
        if (!source) {
          d.logger.warn({ source: payload.source }, 'watch re-check of a source that is not configured: dropped');
          return;
        }
        // Remote sources are slow: a slice is a few hundred codes, not a lease's worth of calls.
        report = await recheckRemoteSource(d.store, source, {
          after: payload.after,
          chunk: Math.min(chunk, 100),
          limit: Math.min(perJob, 500),
          staleBefore: payload.staleBefore,
          now: () => d.clock.now(),
          signal: ctx.signal,
        });
      } else {
        report = await recheckLocalSource(d.store, payload.source, { after: payload.after, chunk, limit: perJob, now: payload.changedAt ?? d.clock.now() });
      }
      await d.store.db.transaction().execute(async (trx) => {
        await ctx.complete(trx);
        if (!report.done)
          await addJob(trx, { queue: WATCH_QUEUE, payload: { ...payload, after: report.last } satisfies RecheckPayload, now: d.clock.now(), maxAttempts: 20 });
      });
      if (!report.done) d.notifier.jobAdded(WATCH_QUEUE);
      if (report.webhooks > 0) d.notifier.jobAdded(WEBHOOK_QUEUE);
      if (report.changes > 0 || report.done)
        d.logger.info({ source: payload.source, checked: report.checked, changes: report.changes, done: report.done }, 'watch re-check');
    },
    async giveUp() {},
    isPermanent: () => false,
  };
}
