import { z } from 'zod';
import { defineSource, type SourceContext } from '../source-definition.ts';
import type { SourceLimits } from '../source-limits.ts';
import { createMirrorClient } from './mirror-client.ts';
import { createMirrorRefresher, type MirrorRefresher } from './refresh.ts';
import { ipaMirrorRefreshTask } from './refresh-task.ts';

export const IPA_MIRROR_ID = 'ipa-mirror';
export const DEFAULT_DUMP_URL = 'https://indicepa.gov.it/ipa-dati/datastore/dump/d09adf99-dc10-4349-8c53-27b1e5aa97b6?bom=True&format=csv';

export const IpaMirrorOptions = z
  .object({
    /** The CKAN datastore dump of the enti resource (REGISTRIES.md §4.1). */
    dumpUrl: z.url().default(DEFAULT_DUMP_URL),
    /** IPA publishes daily; a check is a conditional GET, a download only when the dump changed. */
    refreshHours: z
      .number()
      .min(1)
      .max(24 * 30)
      .default(24),
    /** After a failed refresh, try again this much later. */
    retryMinutes: z
      .number()
      .min(1)
      .max(24 * 60)
      .default(60),
    /** Refuse a dump with fewer rows than this share of the previous one. */
    minRowsRatio: z.number().min(0).max(1).default(0.5),
    /** The real dump is ~15 MB. */
    maxMegabytes: z.number().min(1).max(2048).default(200),
    /** The whole download and import, at most. */
    timeoutMinutes: z.number().min(1).max(240).default(15),
  })
  .strict();

export type IpaMirrorOptions = z.infer<typeof IpaMirrorOptions>;

/** The refresher for these options: the source's client uses it, and so does `cercapec registries refresh`. */
export function ipaMirrorRefresher(
  options: IpaMirrorOptions,
  ctx: Pick<SourceContext, 'store' | 'clock' | 'logger'> & { limits: Pick<SourceLimits, 'connectTimeoutMs' | 'readTimeoutMs'> },
): MirrorRefresher {
  return createMirrorRefresher({
    source: IPA_MIRROR_ID,
    store: ctx.store,
    clock: ctx.clock,
    logger: ctx.logger,
    limits: ctx.limits,
    settings: {
      dumpUrl: options.dumpUrl,
      minRowsRatio: options.minRowsRatio,
      maxBytes: options.maxMegabytes * 1024 * 1024,
      timeoutMs: options.timeoutMinutes * 60_000,
    },
  });
}

/**
 * `ipa-mirror`: IPA's open-data enti file, downloaded daily into our own tables and answered
 * from there (no network per lookup, no credentials). docs/registries/ipa-mirror.md.
 */
export const ipaMirrorSource = defineSource({
  id: IPA_MIRROR_ID,
  description: 'IPA open data (enti), mirrored daily into the store: PEC of public bodies by codice fiscale',
  kinds: ['cf11'],
  options: IpaMirrorOptions,
  // Lookups read our own tables: a retry cannot find what the first read did not.
  defaultLimits: { retries: 0, readTimeoutMs: 60_000 },
  create(options, ctx) {
    const refresher = ipaMirrorRefresher(options, ctx);
    const client = createMirrorClient(IPA_MIRROR_ID, ctx.store, ctx.clock, refresher);
    const task = ipaMirrorRefreshTask(refresher, {
      source: IPA_MIRROR_ID,
      refreshMs: options.refreshHours * 3_600_000,
      retryMs: Math.min(options.retryMinutes * 60_000, options.refreshHours * 3_600_000),
      logger: ctx.logger,
    });
    return { ...client, tasks: [task] };
  },
});
