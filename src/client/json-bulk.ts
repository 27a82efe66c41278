import { isApiProblem, type ApiClient, type BatchResultRow } from '../sdk/cercapec-api.ts';
import type { BulkApi, PollResult } from './transport.ts';

type Final = Exclude<PollResult, { kind: 'wait' }> & { retryable?: boolean };

/**
 * The client's batches over cercapec's /v1/batches: one JSON upload of the codes instead of one
 * request each, then the batch's progress, then its results in one download. `call` maps
 * transport failures to ClientErrors like the rest of the JSON transport.
 */
export function createJsonBulk(api: ApiClient, call: <T>(fn: () => Promise<T>) => Promise<T>): BulkApi {
  return {
    async create(codes) {
      const batch = await call(() => api.createBatch(codes.map((code) => ({ code }))));
      return batch.id;
    },
    async progress(batchId) {
      const batch = await call(() => api.getBatch(batchId));
      const total = batch.rows;
      return { settled: Math.round(batch.progress * total), total, done: batch.status === 'completed' || batch.progress >= 1 };
    },
    async answers(batchId) {
      let rows: BatchResultRow[];
      try {
        rows = await call(() => api.batchResults(batchId));
      } catch (error) {
        if (isApiProblem(error, 'not_found')) return null;
        throw error;
      }
      const answers = new Map<string, Final>();
      for (const row of rows) if (row.code) answers.set(row.code, toFinal(row));
      return answers;
    },
  };
}

function toFinal(row: BatchResultRow): Final {
  switch (row.status) {
    case 'found':
      return { kind: 'found', pec: row.pec ?? '', source: row.source ?? undefined };
    case 'not_found':
      return { kind: 'notFound' };
    case 'refused':
      // Credit ran out while the server created the lookups: the next run may have credit.
      return { kind: 'error', message: `non inviata: ${row.error ?? 'credito insufficiente'}`, retryable: true };
    case 'failed':
      return { kind: 'error', message: row.error ?? 'ricerca non riuscita' };
    case 'cancelled':
      return { kind: 'error', message: 'richiesta cancellata', retryable: true };
    case 'invalid':
      return { kind: 'error', message: row.error ?? 'codice non valido' };
    default:
      return { kind: 'error', message: 'ancora in attesa', retryable: true };
  }
}
