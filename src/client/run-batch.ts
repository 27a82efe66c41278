import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Stato, type Answer } from './answer.ts';
import type { Sleep } from './backoff.ts';
import { loadState, openStateLog, type StateLog } from './batch-state.ts';
import { outputColumns, outputRows } from './batch-output.ts';
import { planBatch, type BatchPlan } from './batch-plan.ts';
import { ClientError, ClientErrorCode, isClientError } from './client-error.ts';
import { fileFormatOf } from './file-format.ts';
import { findCodeColumn } from './find-code-column.ts';
import type { InputTable } from './input-table.ts';
import type { Progress, ProgressFactory } from './progress.ts';
import { readInput } from './read-input.ts';
import { resolveAll, type CodeJob } from './resolve-all.ts';
import { alreadyRequestedCodes, offeredPrice, type ConfirmCost } from './rebuy.ts';
import { createSlots } from './slots.ts';
import type { BulkApi, Transport } from './transport.ts';
import { resolveViaBulk } from './resolve-batch.ts';
import { writeCsvOutput } from './write-csv-output.ts';
import { writeXlsxOutput } from './write-xlsx-output.ts';

export interface BatchOptions {
  input: string;
  output: string;
  /** The column with the codes; found by its values when absent. */
  column?: string;
  concurrency: number;
  /** Delete and resubmit every code, ignoring what the state file knows (confirmed through `deps.confirmCost`). */
  refresh: boolean;
  /** Default `<output>.state.jsonl`. */
  statePath?: string;
  /**
   * Codes the server already has a request for, and we hold no token for: without `rebuy` they
   * are reported "già richiesta" (nothing deleted, nothing charged); with it, once the operator
   * confirms the cost, deleted and requested again.
   */
  rebuy: boolean;
}

export interface BatchDeps {
  transport: Transport;
  sleep: Sleep;
  random: () => number;
  signal: AbortSignal;
  progress: ProgressFactory;
  /** One-line notes for the operator (stderr). */
  log: (line: string) => void;
  now: () => number;
  /** Asked before anything is bought again (--refresh, --rebuy); false stops that part. */
  confirmCost: ConfirmCost;
}

export interface BatchSummary {
  rows: number;
  found: number;
  notFound: number;
  invalid: number;
  errors: number;
  /** Codes sent to the server by this run. */
  submitted: number;
  /** Rows whose code the server already had a request for and that were not bought again. */
  alreadyRequested: number;
  /** Codes the server already had a request for, deleted and requested again (--rebuy, confirmed). */
  rebought: number;
  /** Rows in error that the next run tries again (e.g. "Credito insufficiente"). */
  retryable: number;
  statePath: string;
}

/**
 * `client batch`: read the file, check codes locally, submit each distinct valid code once with
 * bounded concurrency (skipping those the state file already has a token or an answer for),
 * poll until answered, then write the output in input order.
 */
export async function runBatch(deps: BatchDeps, options: BatchOptions): Promise<BatchSummary> {
  const outputFormat = fileFormatOf(options.output);
  await checkOutputPath(options.input, options.output);
  const table = await readInput(options.input);
  const plan = planBatch(table, findCodeColumn(table, options.input, options.column));
  const statePath = options.statePath ?? `${options.output}.state.jsonl`;
  const state = loadState(statePath);
  if (state.unreadable > 0) deps.log(`note: ${state.unreadable} unreadable line(s) in ${statePath} skipped`);
  if (options.refresh) {
    state.tokens.clear();
    state.answers.clear();
  }
  const answers = new Map<string, Answer>();
  for (const [code, answer] of state.answers) if (plan.codes.has(code)) answers.set(code, answer);
  const jobs = [...plan.codes.keys()].filter((code) => !answers.has(code)).map((code) => ({ code, token: state.tokens.get(code) }));

  // One cheap request checks the URL and the key before thousands of requests use them.
  if (jobs.length > 0) await deps.transport.balance();
  if (
    options.refresh &&
    jobs.length > 0 &&
    !(await deps.confirmCost({ what: 'refresh', codes: jobs.length, priceCents: await offeredPrice(deps.transport) }))
  ) {
    throw new ClientError(ClientErrorCode.declined, 'not confirmed: nothing was deleted or requested');
  }
  const run = { submitted: 0, rebought: 0, retryable: 0, statePath };
  const log = openStateLog(statePath);
  try {
    if (options.refresh) log.append({ type: 'refresh', at: iso(deps.now()) });
    // cercapec's JSON API takes the whole file as one batch; --refresh cancels code by code, so it keeps the per-code way.
    const bulk = jobs.length > 0 && !options.refresh ? ((await deps.transport.bulk?.()) ?? null) : null;
    if (bulk) await resolveBulkJobs(deps, bulk, plan, jobs, state.openBatch, answers, log, run);
    else await resolveJobs(deps, options, plan, jobs, answers, log, run);
  } catch (error) {
    closeQuietly(log);
    const where = `${countRows(plan, answers).answered} of ${plan.rows.length} rows answered; the state is in ${statePath}: run the same command again to resume`;
    if (deps.signal.aborted) throw new ClientError(ClientErrorCode.interrupted, `interrupted (${where})`);
    if (isClientError(error)) throw new ClientError(error.code, `${error.message} (${where})`);
    throw error;
  }
  log.close();
  await writeOutput(options.output, outputFormat, table, plan, answers);
  return summarize(plan, answers, run);
}

interface RunCounts {
  submitted: number;
  rebought: number;
  retryable: number;
}

/**
 * Submits and polls the codes still open, recording tokens and final answers in the state. Codes
 * the server already has a request for come back "già richiesta"; with --rebuy, and once the
 * operator has confirmed the cost, a second pass deletes and requests those again.
 */
async function resolveJobs(
  deps: BatchDeps,
  options: BatchOptions,
  plan: BatchPlan,
  jobs: CodeJob[],
  answers: Map<string, Answer>,
  log: StateLog,
  run: RunCounts,
): Promise<void> {
  const counts = countRows(plan, answers);
  let progress = stopOnce(deps.progress(plan.rows.length, counts.answered, counts.errors));
  const pass = (refresh: boolean, passJobs: readonly CodeJob[]) =>
    resolveAll(
      {
        transport: deps.transport,
        slots: createSlots(options.concurrency),
        sleep: deps.sleep,
        random: deps.random,
        signal: deps.signal,
        refresh,
        credit: { exhausted: null },
        onSubmitted: (code, token) => {
          log.append({ type: 'submitted', row: firstRow(plan, code), code, token, at: iso(deps.now()) });
          run.submitted++;
        },
      },
      options.concurrency,
      passJobs,
      (code, resolution) => {
        const rows = plan.codes.get(code)!.length;
        const before = answers.get(code);
        // A code bought again was already counted once, as "già richiesta".
        if (before) counts.answered -= rows;
        if (before?.stato === Stato.error) counts.errors -= rows;
        answers.set(code, resolution.answer);
        if (resolution.final) log.append({ type: 'answered', row: firstRow(plan, code), code, ...resolution.answer, at: iso(deps.now()) });
        else if (resolution.answer.stato !== Stato.alreadyRequested) run.retryable += rows;
        counts.answered += rows;
        if (resolution.answer.stato === Stato.error) counts.errors += rows;
        progress.update(counts.answered, counts.errors);
      },
    );
  try {
    await pass(options.refresh, jobs);
    const again = alreadyRequestedCodes(
      answers,
      jobs.map((job) => job.code),
    );
    if (!options.rebuy || again.length === 0) return;
    // The question must not be redrawn over by the bar.
    progress.stop();
    if (!(await deps.confirmCost({ what: 'rebuy', codes: again.length, priceCents: await offeredPrice(deps.transport) }))) return;
    run.rebought += again.length;
    progress = stopOnce(deps.progress(plan.rows.length, counts.answered, counts.errors));
    await pass(
      true,
      again.map((code) => ({ code })),
    );
  } finally {
    progress.stop();
  }
}

/** The same, through one server batch (resolve-batch.ts). */
async function resolveBulkJobs(
  deps: BatchDeps,
  bulk: BulkApi,
  plan: BatchPlan,
  jobs: CodeJob[],
  openBatch: string | null,
  answers: Map<string, Answer>,
  log: StateLog,
  run: RunCounts,
): Promise<void> {
  const counts = countRows(plan, answers);
  const start = { ...counts };
  const jobRows = jobs.reduce((n, j) => n + plan.codes.get(j.code)!.length, 0);
  const progress = deps.progress(plan.rows.length, counts.answered, counts.errors);
  try {
    await resolveViaBulk(
      { transport: deps.transport, bulk, sleep: deps.sleep, random: deps.random, signal: deps.signal, now: deps.now, log: deps.log },
      {
        codes: jobs.map((j) => j.code),
        openBatch,
        state: log,
        rowOf: (code) => firstRow(plan, code),
        onUploaded: (n) => {
          run.submitted += n;
        },
        onProgress: (share) => progress.update(start.answered + Math.round(share * jobRows), counts.errors),
        onAnswer: (code, answer, final) => {
          answers.set(code, answer);
          const rows = plan.codes.get(code)!.length;
          if (!final) run.retryable += rows;
          if (answer.stato === Stato.error) counts.errors += rows;
        },
      },
    );
    progress.update(countRows(plan, answers).answered, counts.errors);
  } finally {
    progress.stop();
  }
}

async function checkOutputPath(input: string, output: string): Promise<void> {
  if (resolve(input) === resolve(output)) {
    throw new ClientError(ClientErrorCode.fileUnreadable, `the output ${output} would overwrite the input: choose another name`);
  }
  const folder = dirname(resolve(output));
  const info = await stat(folder).catch(() => null);
  if (!info?.isDirectory()) throw new ClientError(ClientErrorCode.fileMissing, `output folder not found: ${folder}`);
}

async function writeOutput(path: string, format: 'csv' | 'xlsx', table: InputTable, plan: BatchPlan, answers: Map<string, Answer>): Promise<void> {
  const columns = outputColumns(table);
  if (format === 'xlsx') return writeXlsxOutput(path, columns, outputRows(table, plan, answers, true), table.sheetName ?? 'Risultati');
  // From an xlsx input, `;`: what Italian Excel expects when it opens a .csv.
  return writeCsvOutput(path, columns, outputRows(table, plan, answers, false), table.delimiter ?? ';');
}

function countRows(plan: BatchPlan, answers: ReadonlyMap<string, Answer>): { answered: number; errors: number } {
  let answered = 0;
  let errors = 0;
  for (const row of plan.rows) {
    const answer = 'answer' in row ? row.answer : answers.get(row.code);
    if (!answer) continue;
    answered++;
    if (answer.stato === Stato.error || answer.stato === Stato.invalid) errors++;
  }
  return { answered, errors };
}

function summarize(plan: BatchPlan, answers: ReadonlyMap<string, Answer>, run: RunCounts & { statePath: string }): BatchSummary {
  const summary: BatchSummary = { rows: plan.rows.length, found: 0, notFound: 0, invalid: 0, errors: 0, alreadyRequested: 0, ...run };
  for (const row of plan.rows) {
    const stato = 'answer' in row ? row.answer.stato : answers.get(row.code)?.stato;
    if (stato === Stato.found) summary.found++;
    else if (stato === Stato.notFound) summary.notFound++;
    else if (stato === Stato.invalid) summary.invalid++;
    else if (stato === Stato.alreadyRequested) summary.alreadyRequested++;
    else summary.errors++;
  }
  return summary;
}

function stopOnce(progress: Progress): Progress {
  let stopped = false;
  return {
    update: (answered, errors) => progress.update(answered, errors),
    stop: () => {
      if (stopped) return;
      stopped = true;
      progress.stop();
    },
  };
}

function firstRow(plan: BatchPlan, code: string): number {
  return plan.codes.get(code)![0] + 1;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

// Only on the way out of a failed run: the error that stopped it is the one worth reporting.
function closeQuietly(log: StateLog): void {
  try {
    log.close();
  } catch {
    // already failing; see above
  }
}
