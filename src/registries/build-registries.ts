import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import { CercapecError, ErrorCode } from '../errors.ts';
import type { CodeKind } from '../taxid/index.ts';
import type { MaintenanceTask } from '../queue/maintenance.ts';
import { createAnswerCache } from './answer-cache.ts';
import { SOURCE_DEFINITIONS } from './catalog.ts';
import { guardSource, type GuardedSource } from './guarded-source.ts';
import { createHttpClient } from './http-client.ts';
import { createLocalDirectory } from './local-directory.ts';
import type { RegistryMetrics } from './metrics.ts';
import { CommonSourceSchema, DEFAULT_ROUTING, parseRegistriesFile, type LoadedRegistriesFile } from './registries-file.ts';
import type { SourceDefinition } from './source-definition.ts';
import { SourceLimitsSchema } from './source-limits.ts';

export interface Registries {
  /** The sources asked for a kind of code, in routing order, configured ones only. */
  chainFor(kind: CodeKind): readonly GuardedSource[];
  /** Every configured source (the directory included). */
  readonly sources: readonly GuardedSource[];
  /** How long a request may wait for an answer before it fails and is refunded. */
  readonly deadlineMs: number;
  /** The sources' periodic work (src/queue/maintenance.ts), for the worker processes to run. */
  readonly tasks: readonly MaintenanceTask[];
  close(): Promise<void>;
}

export interface BuildOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: RegistryMetrics;
  /** The registries file; absent: the local directory alone. */
  loaded?: LoadedRegistriesFile;
  /** Source kinds to choose from (tests add their own); default the catalog. */
  definitions?: readonly SourceDefinition[];
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Builds the configured sources, each behind its guard (cache, breaker, retries, metrics), and
 * the routing chains. The local directory is always there; other sources only with a section
 * in the registries file. A section for an unknown source, or routing naming one, is an error
 * at start rather than a silent gap.
 */
export function buildRegistries(o: BuildOptions): Registries {
  const file = o.loaded?.file ?? parseRegistriesFile({});
  const baseDir = o.loaded?.baseDir ?? '.';
  const definitions = new Map((o.definitions ?? SOURCE_DEFINITIONS).map((d) => [d.id, d]));
  const answerCache = createAnswerCache(o.store);
  const sources = new Map<string, GuardedSource>();
  const common = CommonSourceSchema.parse({});
  const tasks: MaintenanceTask[] = [];

  sources.set(
    'directory',
    guardSource(createLocalDirectory(o.store), {
      limits: SourceLimitsSchema.parse({ retries: 0 }),
      breaker: common.breaker,
      cache: common.cache,
      answerCache: null,
      metrics: o.metrics,
      clock: o.clock,
      logger: o.logger,
      sleep: o.sleep,
    }),
  );

  for (const [id, section] of Object.entries(file.sources)) {
    const definition = definitions.get(id);
    if (!definition) {
      throw new CercapecError(ErrorCode.invalidArgument, `registries file: unknown source "${id}" (known: ${[...definitions.keys()].join(', ')})`);
    }
    const { enabled, limits: limitOverrides, breaker, cache, ...own } = section as Record<string, unknown>;
    const commonParsed = CommonSourceSchema.safeParse({ enabled, limits: limitOverrides, breaker, cache });
    if (!commonParsed.success) throw sectionError(id, commonParsed.error.issues[0]);
    if (!commonParsed.data.enabled) continue;
    const ownParsed = definition.options.safeParse(own);
    if (!ownParsed.success) throw sectionError(id, ownParsed.error.issues[0]);
    const limits = SourceLimitsSchema.parse({ ...definition.defaultLimits, ...commonParsed.data.limits });
    const http = createHttpClient(id, limits, (outcome, seconds) => o.metrics.wire(id, outcome, seconds));
    const client = definition.create(ownParsed.data, {
      store: o.store,
      clock: o.clock,
      logger: o.logger.child({ source: id }),
      limits,
      http,
      resolvePath: (p) => (isAbsolute(p) ? p : resolve(baseDir, p)),
    });
    tasks.push(...(client.tasks ?? []));
    const inner = {
      ...client,
      close: async () => {
        await client.close?.();
        await http.close();
      },
    };
    sources.set(
      id,
      guardSource(inner, {
        limits,
        breaker: commonParsed.data.breaker,
        cache: commonParsed.data.cache,
        answerCache: commonParsed.data.cache.ttlDays > 0 || commonParsed.data.cache.notFoundTtlHours > 0 ? answerCache : null,
        metrics: o.metrics,
        clock: o.clock,
        logger: o.logger,
        sleep: o.sleep,
        details: client.details?.bind(client),
      }),
    );
  }

  const chains = new Map<CodeKind, GuardedSource[]>();
  // Typos in routing are errors; the standard ids are fine even where a build lacks that client.
  const known = new Set(['directory', ...definitions.keys(), ...DEFAULT_ROUTING.cf11, ...DEFAULT_ROUTING.cf16]);
  for (const kind of ['cf11', 'cf16'] as const) {
    for (const id of file.routing[kind]) {
      if (!known.has(id)) {
        throw new CercapecError(ErrorCode.invalidArgument, `registries file: routing.${kind} names unknown source "${id}"`);
      }
    }
    chains.set(
      kind,
      file.routing[kind].map((id) => sources.get(id)).filter((s): s is GuardedSource => s?.kinds.includes(kind) === true),
    );
  }

  return {
    chainFor: (kind) => chains.get(kind) ?? [],
    sources: [...sources.values()],
    deadlineMs: file.deadlineMinutes * 60_000,
    tasks,
    async close() {
      await Promise.allSettled([...sources.values()].map((s) => s.close?.()));
    },
  };
}

function sectionError(id: string, issue: { path: PropertyKey[]; message: string } | undefined): CercapecError {
  const where = issue?.path.length ? `.${issue.path.map(String).join('.')}` : '';
  return new CercapecError(ErrorCode.invalidArgument, `registries file: sources.${id}${where}: ${issue?.message ?? 'invalid'}`);
}
