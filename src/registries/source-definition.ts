import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import type { MaintenanceTask } from '../queue/maintenance.ts';
import type { CodeKind } from '../taxid/index.ts';
import type { HttpClient } from './http-client.ts';
import type { Registry } from './registry.ts';
import type { SourceLimits } from './source-limits.ts';

/** What a source client gets from cercapec: its own HTTP client (limits, timeouts, metrics) and the shared services. */
export interface SourceContext {
  store: Store;
  clock: Clock;
  logger: Logger;
  limits: SourceLimits;
  http: HttpClient;
  /** A path from the registries file (keys, certificates), resolved against that file's folder. */
  resolvePath(path: string): string;
}

/** A source client as the registries file knows it. */
export interface SourceClient extends Registry {
  /** Freshness and other facts for the health summary. */
  details?(): Promise<Record<string, unknown>>;
  /** Periodic work the source needs, run once per cluster by the workers (the IPA mirror's refresh). */
  tasks?: readonly MaintenanceTask[];
}

/**
 * One kind of source: its id in the registries file and in routing, the schema of its own
 * options (beside the common enabled, limits, breaker and cache), and how to build it.
 */
export interface SourceDefinition<O extends z.ZodType = z.ZodType> {
  id: string;
  /** One line for `cercapec registries list` and the docs. */
  description: string;
  kinds: readonly CodeKind[];
  options: O;
  /** Where this source's limits differ from the common defaults (a bulk size, a slower rate). */
  defaultLimits?: Partial<SourceLimits>;
  create(options: z.infer<O>, ctx: SourceContext): SourceClient;
}

/** Keeps the options' type tied to the schema at the definition site. */
export function defineSource<O extends z.ZodType>(definition: SourceDefinition<O>): SourceDefinition<O> {
  return definition;
}
