import pino from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { createHttpClient, type HttpClient } from '../../src/registries/http-client.ts';
import { inadSource, InadOptionsSchema } from '../../src/registries/inad/definition.ts';
import type { LookupQuery } from '../../src/registries/registry.ts';
import type { SourceClient } from '../../src/registries/source-definition.ts';
import { SourceLimitsSchema, type SourceLimits } from '../../src/registries/source-limits.ts';
import { generateDataset, type StandinDataset } from '../../src/standins/dataset.ts';
import { inadStandinSection } from '../../src/standins/inad/definition.ts';
import { startInadStandin, INAD_STANDIN, type InadStandinHandle, type InadStandinOptions } from '../../src/standins/inad/inad-standin.ts';
import type { StandinRequest } from '../../src/standins/standin-server.ts';

export const START = Date.UTC(2026, 10, 28, 9, 0, 0);

export interface InadFixture {
  standin: InadStandinHandle;
  dataset: StandinDataset;
  /** The client's clock; the stand-in's too unless the test gave it another. */
  clock: ManualClock;
  client: SourceClient;
  http: HttpClient;
  /** Requests of one kind the stand-in received: 'token', 'extract', 'list', 'state', 'response'. */
  sent(kind: 'token' | 'extract' | 'list' | 'state' | 'response'): StandinRequest[];
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** Client options over the stand-in's section (bulkPollIntervalMs is 5 ms here). */
  options?: Record<string, unknown>;
  limits?: Partial<SourceLimits>;
  standin?: Partial<Omit<InadStandinOptions, 'dataset'>>;
  /** A stand-in already running (several clients against one). */
  shared?: { standin: InadStandinHandle; dataset: StandinDataset; clock: ManualClock };
}

/** The inad client, built as buildRegistries builds it (no guard: errors come out unretried), against its stand-in. */
export async function inadFixture(o: FixtureOptions = {}): Promise<InadFixture> {
  const clock = o.shared?.clock ?? new ManualClock(START);
  const dataset = o.shared?.dataset ?? generateDataset();
  const standin = o.shared?.standin ?? (await startInadStandin({ dataset, clock, ...o.standin }));
  const limits = SourceLimitsSchema.parse({
    ...inadSource.defaultLimits,
    batchDelayMs: 5,
    readTimeoutMs: 3_000,
    ratePerSecond: 10_000,
    concurrency: 16,
    ...o.limits,
  });
  const http = createHttpClient('inad', limits);
  const options = InadOptionsSchema.parse({ ...inadStandinSection(standin), defaultPracticalReference: null, bulkPollIntervalMs: 5, ...o.options });
  const client = inadSource.create(options, { store: null as never, clock, logger: pino({ level: 'silent' }), limits, http, resolvePath: (p) => p });
  const base = INAD_STANDIN.basePath;
  const patterns = {
    token: (r: StandinRequest) => r.path === INAD_STANDIN.tokenPath,
    extract: (r: StandinRequest) => r.path.startsWith(`${base}/extract/`),
    list: (r: StandinRequest) => r.path === `${base}/listDigitalAddress`,
    state: (r: StandinRequest) => r.path.startsWith(`${base}/listDigitalAddress/state/`),
    response: (r: StandinRequest) => r.path.startsWith(`${base}/listDigitalAddress/response/`),
  };
  return {
    standin,
    dataset,
    clock,
    client,
    http,
    sent: (kind) => standin.received.filter(patterns[kind]),
    async close() {
      await client.close?.();
      await http.close();
      if (!o.shared) await standin.close();
    },
  };
}

export function query(code: string, reference: string | null = 'pratica-42'): LookupQuery {
  return { requestId: `req-${code}`, code, kind: code.length === 16 ? 'cf16' : 'cf11', reference };
}

/** Codes of each kind the INAD stand-in serves (src/standins/inad/directory.ts). */
export function inadCodes(dataset: StandinDataset) {
  const persons = dataset.persons.map((p, i) => ({ ...p, announced: !p.ceased && i % 23 === 7 }));
  return {
    person: persons.find((p) => !p.ceased && !p.announced)!,
    ceased: persons.find((p) => p.ceased)!,
    announced: persons.find((p) => p.announced)!,
    /** The first professional has two addresses (every tenth one does). */
    professional: dataset.professionals[0],
    unknown: dataset.unknown.cf16,
    activePersons: persons.filter((p) => !p.ceased && !p.announced),
  };
}
