import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { createMicroBatcher } from '../micro-batcher.ts';
import { RegistryError, type RegistryAnswer } from '../registry.ts';
import type { SourceClient } from '../source-definition.ts';
import type { SourceLimits } from '../source-limits.ts';
import type { InadApi } from './api.ts';
import { extractList } from './bulk.ts';
import { mapInadRecord } from './mapping.ts';
import { checkAnsweredCode } from '../answered-code.ts';

export interface InadClientOptions {
  source: string;
  api: InadApi;
  clock: Clock;
  logger: Logger;
  limits: SourceLimits;
  /** The purpose used when neither the request nor the account gives one. */
  defaultPracticalReference: string | null;
  /** Codes waiting together (same practicalReference) from which one bulk list is asked instead of single extracts. */
  bulkThreshold: number;
  bulkPollIntervalMs: number;
  bulkMaxPolls: number;
}

interface Pending {
  code: string;
  reference: string;
  signal: AbortSignal;
}

type Answers = Map<string, RegistryAnswer | Error>;

/**
 * The INAD source. Every lookup waits briefly in a micro-batcher (limits.batchDelayMs, at most
 * limits.batchSize codes): when enough codes with the same practicalReference are waiting
 * together (bulkThreshold) they go in one listDigitalAddress, else each is asked with /extract.
 * A bulk takes at least one poll interval (AgID: 10–15 minutes), so it only pays off for volume.
 */
export function createInadClient(o: InadClientOptions): SourceClient {
  const closing = new AbortController();
  const batcher = createMicroBatcher<Pending, RegistryAnswer>({
    maxSize: o.limits.batchSize,
    delayMs: o.limits.batchDelayMs,
    key: (p) => keyOf(p.reference, p.code),
    run: runBatch,
  });

  async function runBatch(pending: Pending[]): Promise<Answers> {
    // A bulk carries one practicalReference, so codes are grouped by it.
    const groups = new Map<string, Map<string, AbortSignal[]>>();
    for (const p of pending) {
      const codes = groups.get(p.reference) ?? new Map<string, AbortSignal[]>();
      groups.set(p.reference, codes.set(p.code, [...(codes.get(p.code) ?? []), p.signal]));
    }
    const answers: Answers = new Map();
    await Promise.all(
      [...groups].map(async ([reference, codes]) => {
        const result = codes.size >= o.bulkThreshold ? await bulk([...codes.keys()], reference) : await singles(codes, reference);
        for (const [code, answer] of result) answers.set(keyOf(reference, code), answer);
      }),
    );
    return answers;
  }

  async function bulk(codes: string[], reference: string): Promise<Answers> {
    o.logger.info({ codes: codes.length }, 'INAD bulk extraction');
    try {
      return await extractList(codes, reference, {
        source: o.source,
        api: o.api,
        clock: o.clock,
        pollIntervalMs: o.bulkPollIntervalMs,
        maxPolls: o.bulkMaxPolls,
        signal: closing.signal,
      });
    } catch (error) {
      return new Map(codes.map((code) => [code, error as Error]));
    }
  }

  async function singles(codes: Map<string, AbortSignal[]>, reference: string): Promise<Answers> {
    const entries = await Promise.all(
      [...codes].map(async ([code, signals]): Promise<[string, RegistryAnswer | Error]> => {
        // A code only one caller waits for stops with that caller; a shared one runs to the end.
        const signal = signals.length === 1 ? AbortSignal.any([signals[0], closing.signal]) : closing.signal;
        try {
          const record = await o.api.extract(code, reference, signal);
          if (!record) return [code, { outcome: 'not_found' }];
          // The bulk path keys its answers by this field; a single extract must agree with it too.
          checkAnsweredCode(o.source, code, record.codiceFiscale);
          return [code, mapInadRecord(o.source, record, o.clock.now())];
        } catch (error) {
          return [code, error as Error];
        }
      }),
    );
    return new Map(entries);
  }

  return {
    id: o.source,
    kinds: ['cf16', 'cf11'],
    // Each purpose is its own extraction at INAD: a cached answer serves the same purpose only.
    cachePerReference: true,
    async lookup(query, signal) {
      const reference = query.reference?.trim() || o.defaultPracticalReference;
      if (!reference) {
        throw new RegistryError(
          o.source,
          false,
          "INAD richiede un practicalReference (riferimento del procedimento amministrativo): indicarlo nella richiesta, come riferimento predefinito dell'account o come defaultPracticalReference della sorgente inad",
          'reference_missing',
        );
      }
      return batcher.add({ code: query.code.toUpperCase(), reference, signal }, signal);
    },
    skipReason(query) {
      return INAD_CODE.test(query.code.toUpperCase()) ? null : OMOCODIC_SKIP;
    },
    async verifyAddress(q, signal) {
      // INAD asks for a day; the day in Italy, where the domicile's dates are kept.
      const answer = await o.api.verify(q.code.toUpperCase(), q.pec, romeDate(q.at), q.reference, AbortSignal.any([signal, closing.signal]));
      const checkedAt = answer.checkedAt === null ? NaN : Date.parse(answer.checkedAt);
      return { matches: answer.outcome, checkedAt: Number.isFinite(checkedAt) ? checkedAt : null };
    },
    async details() {
      return { bulkThreshold: o.bulkThreshold, bulkPollIntervalMs: o.bulkPollIntervalMs };
    },
    async close() {
      closing.abort(new RegistryError(o.source, true, 'sorgente chiusa', 'closed'));
      batcher.flush();
    },
  };
}

/**
 * What INAD's API takes (inad-extraction.yaml, CodiceFiscale, anchored as meant): 11 digits, or a
 * personal code with digits in every digit position. An omocodic code (letters L-V standing for
 * digits, given by the Agenzia delle Entrate when two people share a code) is refused with 400:
 * asking would only count errors against INAD's breaker, so INAD is skipped for them.
 */
const INAD_CODE = /^(?:[0-9]{11}|[A-Z]{6}[0-9]{2}[A-Z][0-9]{2}[A-Z][0-9]{3}[A-Z])$/;
const OMOCODIC_SKIP = 'INAD non accetta codici fiscali omocodici (lettere al posto delle cifre): non interpellato';

function keyOf(reference: string, code: string): string {
  return `${reference}\u0000${code}`;
}

const ROME_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' });

/** yyyy-MM-dd of an instant in Italian time. */
export function romeDate(ms: number): string {
  return ROME_DAY.format(ms);
}
