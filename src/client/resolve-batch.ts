import { answerFromPoll, errorAnswer, type Answer } from './answer.ts';
import { backoffDelay, type Sleep } from './backoff.ts';
import type { StateLog } from './batch-state.ts';
import { isClientError } from './client-error.ts';
import type { BulkApi, Transport } from './transport.ts';

export interface BulkRunDeps {
  transport: Transport;
  bulk: BulkApi;
  sleep: Sleep;
  random: () => number;
  signal: AbortSignal;
  now: () => number;
  log: (line: string) => void;
}

export interface BulkRun {
  /** Codes to answer (distinct, valid, without a final answer yet). */
  codes: readonly string[];
  /** A batch an interrupted run uploaded: watched instead of uploading again. */
  openBatch: string | null;
  state: StateLog;
  /** The first row of each code, for the state file's `row`. */
  rowOf(code: string): number;
  /** Each code's answer as it is known; `final: false` is tried again by the next run. */
  onAnswer(code: string, answer: Answer, final: boolean): void;
  /** Share (0..1) of the codes the server has settled, for the progress bar. */
  onProgress(settled: number): void;
  onUploaded(codes: number): void;
}

/** Server batches are watched more calmly than single tokens: a 10,000-code batch takes minutes. */
const BATCH_POLL = { baseMs: 500, capMs: 10_000 };

/**
 * The JSON API's way through a file: the open codes go up as one batch, the client watches its
 * progress, then reads every answer in one download. The batch id is in the state file before
 * anything else happens, so a run killed while waiting resumes by watching the same batch. A run
 * killed between the upload and that line uploads again on resume, and nothing is charged twice:
 * the server links codes the account already has to their lookups, uncharged.
 */
export async function resolveViaBulk(deps: BulkRunDeps, run: BulkRun): Promise<void> {
  let open = new Set(run.codes);
  let batchId = run.openBatch;
  // Twice at most: the interrupted run's batch, then the codes it did not hold (a changed file).
  for (let pass = 0; pass < 2 && open.size > 0; pass++) {
    if (!batchId) {
      const codes = [...open];
      batchId = await deps.bulk.create(codes);
      run.state.append({ type: 'batch', batchId, codes: codes.length, at: iso(deps.now()) });
      run.onUploaded(codes.length);
    } else {
      deps.log(`resuming: watching server batch ${batchId}`);
    }
    const answers = await waitAndRead(deps, batchId, run);
    if (answers === null) {
      // The server no longer has it (retention, another installation): upload what is open.
      run.state.append({ type: 'batch-done', batchId, at: iso(deps.now()) });
      batchId = null;
      continue;
    }
    for (const code of open) {
      const result = answers.get(code);
      if (!result) continue;
      const answer = result.kind === 'error' ? errorAnswer(result.message, deps.transport.name) : answerFromPoll(result, deps.transport.name);
      const final = !result.retryable;
      if (final) run.state.append({ type: 'answered', row: run.rowOf(code), code, ...answer, at: iso(deps.now()) });
      run.onAnswer(code, answer, final);
    }
    run.state.append({ type: 'batch-done', batchId, at: iso(deps.now()) });
    open = new Set([...open].filter((code) => !answers.has(code)));
    batchId = null;
  }
  for (const code of open) run.onAnswer(code, errorAnswer('nessuna risposta dal lotto del server', deps.transport.name), false);
}

async function waitAndRead(deps: BulkRunDeps, batchId: string, run: BulkRun) {
  for (let attempt = 0; ; attempt++) {
    let progress: Awaited<ReturnType<BulkRunDeps['bulk']['progress']>>;
    try {
      progress = await deps.bulk.progress(batchId);
    } catch (error) {
      if (!isClientError(error) && (error as { status?: number }).status === 404) return null;
      throw error;
    }
    run.onProgress(progress.total === 0 ? 1 : progress.settled / progress.total);
    if (progress.done) return deps.bulk.answers(batchId);
    await deps.sleep(backoffDelay(attempt, BATCH_POLL, deps.random), deps.signal);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
