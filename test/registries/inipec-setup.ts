import pino from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { createHttpClient } from '../../src/registries/http-client.ts';
import { inipecSource, InipecOptionsSchema, type InipecOptions } from '../../src/registries/inipec/definition.ts';
import type { LookupQuery, RegistryAnswer } from '../../src/registries/registry.ts';
import type { SourceClient } from '../../src/registries/source-definition.ts';
import { SourceLimitsSchema, type SourceLimits } from '../../src/registries/source-limits.ts';
import { generateDataset, type StandinDataset } from '../../src/standins/dataset.ts';
import {
  INIPEC_BASE_PATH,
  INIPEC_STANDIN_CLIENT_ID,
  startInipecStandin,
  type InipecStandinHandle,
  type InipecStandinOptions,
} from '../../src/standins/inipec/server.ts';
import type { StandinRequest } from '../../src/standins/standin-server.ts';
import { TEST_KEYS } from '../../src/standins/test-keys.ts';

export interface InipecRig {
  clock: ManualClock;
  dataset: StandinDataset;
  standin: InipecStandinHandle;
  client: SourceClient;
  lookup(code: string, signal?: AbortSignal): Promise<RegistryAnswer>;
  /** What the stand-in received, as "POST /authentication", "GET /getElencoPec/…" (base path and query left out). */
  calls(): string[];
  count(operation: 'authentication' | 'richiestaElencoPec' | 'getElencoPec'): number;
  close(): Promise<void>;
}

export const START = Date.UTC(2026, 10, 28, 9, 0, 0);

/** The options a client needs to talk to a running stand-in with the test keys. */
export function clientOptions(standin: InipecStandinHandle, extra: Partial<InipecOptions> = {}): InipecOptions {
  return InipecOptionsSchema.parse({
    baseUrl: standin.baseUrl,
    clientId: INIPEC_STANDIN_CLIENT_ID,
    privateKeyFile: TEST_KEYS.clientKeyFile,
    certificateFile: TEST_KEYS.clientCertFile,
    pollIntervalMs: 5,
    ...extra,
  });
}

export function queryFor(code: string): LookupQuery {
  return { requestId: 'test', code, kind: code.length === 11 ? 'cf11' : 'cf16', reference: null };
}

/**
 * The INI-PEC client as cercapec builds it (its own HTTP client and limits), without the guard:
 * these tests see exactly what the client answers and throws. Stand-in and client share a
 * ManualClock, so token expiry moves only when a test says.
 */
export async function inipecRig(
  o: { standin?: Partial<InipecStandinOptions>; options?: Partial<InipecOptions>; limits?: Partial<SourceLimits> } = {},
): Promise<InipecRig> {
  const clock = new ManualClock(START);
  const dataset = generateDataset();
  const standin = await startInipecStandin({ dataset, clock, ...o.standin });
  const limits = SourceLimitsSchema.parse({ ...inipecSource.defaultLimits, batchDelayMs: 5, ratePerSecond: 1_000, ...o.limits });
  const http = createHttpClient('inipec', limits);
  const client = inipecSource.create(clientOptions(standin, o.options), {
    store: undefined as never,
    clock,
    logger: pino({ level: 'silent' }),
    limits,
    http,
    resolvePath: (p) => p,
  });
  const calls = () => standin.received.map((r) => `${r.method} ${r.path.slice(INIPEC_BASE_PATH.length)}`);
  return {
    clock,
    dataset,
    standin,
    client,
    lookup: (code, signal = new AbortController().signal) => client.lookup(queryFor(code), signal),
    calls,
    count: (operation) => calls().filter((c) => c.split(' ')[1].split('/')[1] === operation).length,
    async close() {
      await client.close?.();
      await http.close();
      await standin.close();
    },
  };
}

/**
 * The request as the spec describes it. /authentication and /richiestaElencoPec declare their
 * body as a JSON string: PagoPA's reference client (Spring) writes that string's content
 * unquoted, as we do, and InfoCamere reads it so. The checker is shown the quoted string the
 * spec means (quoted once more because both the helper and openapi-backend decode JSON once).
 */
export function asSpecSees(r: StandinRequest): StandinRequest {
  const stringBody = /\/(authentication|richiestaElencoPec)$/.test(r.path);
  return stringBody ? { ...r, body: JSON.stringify(JSON.stringify(r.body)) } : r;
}
