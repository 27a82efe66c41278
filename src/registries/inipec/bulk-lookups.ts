import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { createMicroBatcher } from '../micro-batcher.ts';
import { RegistryError, type RegistryAnswer } from '../registry.ts';
import { RequestLostError, type InipecApi, type PollResult } from './api.ts';
import { answersFromElenco } from './mapping.ts';

export interface BulkLookupsOptions {
  source: string;
  api: InipecApi;
  clock: Clock;
  logger: Logger;
  batchSize: number;
  batchDelayMs: number;
  pollIntervalMs: number;
  maxPolls: number;
  /** A request older than this is not followed any more: its codes are asked again. */
  abandonAfterMs: number;
  signal: AbortSignal;
}

/** A list asked of InfoCamere and not downloaded yet. Kept in memory only (docs/registries/inipec.md). */
interface RemoteRequest {
  id: string;
  codes: string[];
  askedAt: number;
  /** The polling in progress, shared by every lookup waiting on this request. */
  polling: Promise<Map<string, RegistryAnswer>> | null;
}

/**
 * Single lookups gathered into richiestaElencoPec calls of up to batchSize codes, each followed
 * by polling getElencoPec until the list is ready. A request that ran out of polls (or met a
 * transient error) stays remembered: the retry of any of its codes follows the same request
 * instead of asking InfoCamere again.
 */
export function createBulkLookups(o: BulkLookupsOptions) {
  const remembered = new Map<string, RemoteRequest>();

  /** A call cut short by close() fails as a transient error of the source, not as a bare AbortError. */
  const whileOpen = <T>(call: Promise<T>): Promise<T> =>
    call.catch((error: unknown) => {
      if (o.signal.aborted && !(error instanceof RegistryError)) throw new RegistryError(o.source, true, 'sorgente chiusa', 'closed');
      throw error;
    });

  const forget = (r: RemoteRequest) => {
    for (const code of r.codes) if (remembered.get(code) === r) remembered.delete(code);
  };

  /** Requests nobody came back for (their callers gave up) would otherwise stay forever. */
  function sweep() {
    const oldest = o.clock.now() - o.abandonAfterMs;
    for (const r of new Set(remembered.values())) if (r.askedAt <= oldest && !r.polling) forget(r);
  }

  async function pollUntilReady(r: RemoteRequest): Promise<Map<string, RegistryAnswer>> {
    for (let poll = 1; ; poll++) {
      await sleep(o.pollIntervalMs, o.signal, o.source);
      let result: PollResult;
      try {
        result = await whileOpen(o.api.pollList(r.id));
      } catch (error) {
        // The request is gone or failed at InfoCamere, or we were refused: ask again next time.
        if (error instanceof RequestLostError || (error instanceof RegistryError && !error.transient)) forget(r);
        throw error;
      }
      if (result.state === 'ready') {
        forget(r);
        return answersFromElenco(o.source, r.codes, result.elencoPec);
      }
      if (poll >= o.maxPolls) {
        throw new RegistryError(o.source, true, `elenco PEC ancora in preparazione dopo ${poll} controlli`, 'still_in_progress');
      }
    }
  }

  function follow(r: RemoteRequest): Promise<Map<string, RegistryAnswer>> {
    r.polling ??= pollUntilReady(r).finally(() => {
      r.polling = null;
    });
    return r.polling;
  }

  const batcher = createMicroBatcher<string, RegistryAnswer>({
    maxSize: o.batchSize,
    delayMs: o.batchDelayMs,
    key: (code) => code,
    async run(codes) {
      sweep();
      const unique = [...new Set(codes)];
      const id = await whileOpen(o.api.requestList(unique));
      const r: RemoteRequest = { id, codes: unique, askedAt: o.clock.now(), polling: null };
      for (const code of unique) remembered.set(code, r);
      o.logger.debug({ request: id, codes: unique.length }, 'inipec list requested');
      return follow(r);
    },
  });

  return {
    lookup(code: string, signal: AbortSignal): Promise<RegistryAnswer> {
      const r = remembered.get(code);
      if (r && o.clock.now() - r.askedAt < o.abandonAfterMs) return waitFor(follow(r), code, signal, o.source);
      if (r) forget(r);
      return batcher.add(code, signal);
    },
    /** Codes waiting in requests not downloaded yet (for the health summary). */
    pendingCodes: () => remembered.size,
  };
}

/** Waits for a shared polling; an aborted caller stops waiting, the others go on. */
function waitFor(polling: Promise<Map<string, RegistryAnswer>>, code: string, signal: AbortSignal, source: string): Promise<RegistryAnswer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    polling
      .then((answers) => {
        const answer = answers.get(code);
        if (answer) resolve(answer);
        else reject(new RegistryError(source, true, 'codice assente dalla richiesta', 'missing'));
      }, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Waits `ms`; a closed source (the signal aborted) ends the wait with a transient error. */
async function sleep(ms: number, signal: AbortSignal, source: string): Promise<void> {
  await delay(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal.aborted ? new RegistryError(source, true, 'sorgente chiusa', 'closed') : error;
  });
}
