import { homedir } from 'node:os';
import { Option, type Command } from 'commander';
import { formatEuro } from '../../resources/money.ts';
import { UsageError } from '../usage-error.ts';
import { sleep } from '../../client/backoff.ts';
import { ClientError, ClientErrorCode, isClientError } from '../../client/client-error.ts';
import { resolveClientConfig, type ClientConfig } from '../../client/client-config.ts';
import { defaultConfigPath, readConfigFile, writeConfigFile } from '../../client/config-file.ts';
import { askConfig } from '../../client/init-config.ts';
import { createTransport } from '../../client/create-transport.ts';
import { formatTable } from '../../client/format-table.ts';
import { lookupFailed, runLookup } from '../../client/run-lookup.ts';
import type { BatchDeps } from '../../client/run-batch.ts';
import { confirmCost } from '../../client/confirm-cost.ts';
import type { ProgressFactory } from '../../client/progress.ts';
import { watchFolder } from '../../client/watch-folder.ts';
import { searchByName, searchTableRows } from '../../client/search-names.ts';

const RECOVERY_HELP = `
Resuming: the state file <output>.state.jsonl (append-only JSON lines) records each token the
moment the server hands it out and each answer. Run the same command again after a crash,
Ctrl-C or kill: rows with a token are only polled, answered rows are not sent again.

Codes already requested: the server answers "Richiesta già presente" for a code this key has
requested before (with client lookup, another file, or a run killed between the server's answer
and the state line: at most --concurrency rows). The JSON API (--protocol json/auto on a cercapec
server) returns the existing request, uncharged. The text protocol cannot: such rows get stato
"già richiesta" with an explanation in errore; nothing is deleted and nothing is charged.

--rebuy deletes (cf-delete) those requests and requests the codes again, each charged again. The
client first prints how many codes and what they cost, then asks; when stdin is not a terminal
it needs --yes as well.
--refresh deletes and resubmits every code, ignoring earlier answers in the state: charged again,
so it states the cost and asks the same way (--yes when stdin is not a terminal).`;

/** `cercapec client ...`: the program customers run against a cercapec or trovapec server. */
export function clientCommand(program: Command): void {
  const client = program.command('client').description('look up PEC addresses on a cercapec/trovapec server: single codes, CSV/XLSX files, a hot folder');

  connection(
    client.command('init').description('write the config file (server URL and API key) by asking; reads two lines from stdin when it is not a terminal'),
  ).action(async (opts) => {
    const path = opts.config ?? defaultConfigPath(process.env, homedir());
    const current = (await readConfigFile(path, false, warn)) ?? {};
    const answers = await askConfig({ input: process.stdin, output: process.stdout, interactive: process.stdin.isTTY === true }, current);
    await writeConfigFile(path, answers);
    console.log(`wrote ${path} (mode 600: it holds the key)`);
    try {
      const config = await resolveClientConfig({ flags: { config: path }, env: {}, home: homedir(), warn });
      console.log(`connected to ${config.endpoint}: saldo ${formatEuro(await createTransport(config).balance())}`);
    } catch (error) {
      warn(`warning: saved, but the connection check failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });

  connection(client.command('balance').alias('saldo').description("print the account's balance in euro")).action(async (opts) => {
    console.log(formatEuro(await createTransport(await configFrom(opts)).balance()));
  });

  connection(client.command('lookup <code...>').description('look up codes and print the answers (a table on a terminal, JSON lines otherwise)'))
    .option('--json', 'JSON lines: {"code","stato","pec","errore"} per code')
    .option('--concurrency <n>', 'requests in flight at once', '8')
    .option('--rebuy', 'delete and request again codes this key already requested (each charged again; states the cost and asks first)')
    .option('--yes', 'confirm the cost of --rebuy without a question (needed when stdin is not a terminal)')
    .action(async (codes: string[], opts) => {
      checkCostFlags(opts);
      const transport = createTransport(await configFrom(opts));
      const lines = await interruptible((signal) =>
        runLookup(
          {
            transport,
            sleep,
            random: Math.random,
            signal,
            concurrency: positiveInt(opts.concurrency, '--concurrency'),
            rebuy: opts.rebuy === true,
            confirmCost: costConfirmation(opts),
          },
          codes,
        ),
      );
      if (lines === null) return;
      if (process.stdout.isTTY && !opts.json) {
        console.log(
          formatTable(
            ['code', 'stato', 'pec', 'errore'],
            lines.map((l) => [l.code, l.stato, l.pec, l.errore]),
          ),
        );
      } else {
        for (const line of lines) console.log(JSON.stringify(line));
      }
      if (lookupFailed(lines)) process.exitCode = 1;
    });

  connection(
    client
      .command('search <words...>')
      .description("search public bodies (IPA) and the server's datasets by name; a table with code, codice IPA, name, place, PEC, source"),
  )
    .option('--province <xx>', 'only bodies of this province (GE, RM)')
    .option('--category <code>', 'only bodies of this IPA category (L6: comuni)')
    .option('--limit <n>', 'results, 1-100', '20')
    .option('--json', 'the results as the server answers them, one JSON object per line')
    .action(async (words: string[], opts) => {
      const limit = positiveInt(opts.limit, '--limit');
      if (limit > 100) throw new UsageError('--limit must be between 1 and 100');
      const results = await searchByName(await configFrom(opts), { q: words.join(' '), province: opts.province, category: opts.category, limit });
      if (opts.json) {
        for (const r of results) console.log(JSON.stringify(r));
      } else if (results.length === 0) {
        console.log('nessun risultato');
      } else {
        console.log(formatTable(['code', 'ipa', 'denominazione', 'sede', 'pec', 'fonte'], searchTableRows(results)));
      }
    });

  connection(client.command('batch <input>').description('look up every code of a .csv or .xlsx file; write every input column plus pec, stato, fonte, errore'))
    .requiredOption('-o, --output <file>', 'output file, .csv or .xlsx (the state file goes beside it)')
    .option('--column <name>', 'the column with the codes (default: the first column whose values are mostly valid codes)')
    .option('--concurrency <n>', 'requests in flight at once', '8')
    .option('--refresh', 'cf-delete and resubmit every code instead of resuming (charged again; states the cost and asks first)')
    .option(
      '--rebuy',
      'delete and request again codes this key already requested, when the protocol cannot return them (each charged again; states the cost and asks first)',
    )
    .option('--yes', 'confirm the cost of --rebuy or --refresh without a question (needed when stdin is not a terminal)')
    .addOption(new Option('--on-duplicate <policy>').hideHelp())
    .option('--progress-every <seconds>', 'seconds between progress lines when stderr is not a terminal', '5')
    .addHelpText('after', RECOVERY_HELP)
    .action(async (input: string, opts) => {
      checkCostFlags(opts);
      const deps = await batchDeps(opts);
      const { runBatch } = await import('../../client/run-batch.ts');
      const summary = await interruptible((signal) =>
        runBatch(
          { ...deps, signal },
          {
            input,
            output: opts.output,
            column: opts.column,
            concurrency: positiveInt(opts.concurrency, '--concurrency'),
            refresh: opts.refresh === true,
            rebuy: opts.rebuy === true,
          },
        ),
      );
      if (summary === null) return;
      console.log(
        `wrote ${opts.output}: ${summary.rows} rows, ${summary.found} found, ${summary.notFound} not found, ` +
          `${summary.invalid} invalid, ${summary.errors} errors, ${summary.alreadyRequested} already requested ` +
          `(${summary.submitted} codes submitted by this run${summary.rebought > 0 ? `, ${summary.rebought} of them bought again with --rebuy` : ''})`,
      );
      if (summary.alreadyRequested > 0) {
        warn(
          `${summary.alreadyRequested} rows have stato "già richiesta": this key already requested their codes and the text protocol cannot return ` +
            'those answers; nothing was charged for them. Use --protocol json on a cercapec server, or --rebuy to buy them again (states the cost first).',
        );
      }
      if (summary.retryable > 0) warn(`${summary.retryable} rows in error can be retried: run the same command again (answered rows are not sent again)`);
    });

  const watches = client.command('watches').description('watched codes (cercapec servers only: the JSON API)');
  connection(watches.command('add <file>').description('watch every code of a .csv or .xlsx file (10,000 per request); invalid rows are listed'))
    .option('--column <name>', 'the column with the codes (default: found by its values)')
    .option('--reference <text>', 'a note kept with the watches')
    .action(async (file: string, opts) => {
      const { addWatchesFromFile } = await import('../../client/watches-client.ts');
      const report = await addWatchesFromFile(await apiFrom(opts), file, { column: opts.column, reference: opts.reference });
      for (const r of report.rejected) warn(`row ${r.row}: ${r.message}`);
      console.log(`${report.added} watched from now on, ${report.alreadyWatched} already watched, ${report.rejected.length} invalid`);
    });
  connection(watches.command('events').description('append the new watch events to a CSV file; the cursor is kept in <file>.cursor, so the next run resumes'))
    .requiredOption('-o, --output <file>', 'the CSV file (created with a header when missing)')
    .action(async (opts) => {
      const { fetchWatchEvents } = await import('../../client/watches-client.ts');
      const n = await fetchWatchEvents(await apiFrom(opts), opts.output);
      console.log(`${n} new events written to ${opts.output}`);
    });

  connection(
    client.command('watch <folder>').description('hot folder: process each .csv/.xlsx dropped into <folder>/in/ into <folder>/out/; runs until SIGINT/SIGTERM'),
  )
    .option('--column <name>', 'the column with the codes (default: found by its values)')
    .option('--concurrency <n>', 'requests in flight at once', '8')
    .option('--rebuy', 'as for batch; the folder is unattended, so it needs --yes too')
    .option('--yes', 'confirm the cost of --rebuy')
    .addOption(new Option('--on-duplicate <policy>').hideHelp())
    .option('--settle <seconds>', 'a file is taken once its size has not changed for this long', '2')
    .option('--progress-every <seconds>', 'seconds between progress lines when stderr is not a terminal', '30')
    .addHelpText(
      'after',
      `
Folders (created if missing): in/ (drop files here), out/ (results, same name), errors/ (files that
could not be processed, with <name>.error.txt), done/ (inputs processed), .state/ (resume state of
the file in progress). When the server is unreachable or refuses the key the file stays in in/ and
is tried again after 30 s. Files are processed one at a time, oldest first.
${RECOVERY_HELP}`,
    )
    .action(async (folder: string, opts) => {
      if (opts.rebuy && !opts.yes) throw new UsageError('watch --rebuy buys codes again without anyone at the keyboard: add --yes to confirm the cost');
      checkCostFlags(opts);
      const deps = await batchDeps(opts);
      const { runBatch } = await import('../../client/run-batch.ts');
      const concurrency = positiveInt(opts.concurrency, '--concurrency');
      const settleMs = positiveNumber(opts.settle, '--settle') * 1000;
      const rebuy = opts.rebuy === true;
      await interruptible((signal) =>
        watchFolder(
          {
            batch: (input, output, statePath) =>
              runBatch({ ...deps, signal }, { input, output, statePath, column: opts.column, concurrency, refresh: false, rebuy }),
            log: warn,
            sleep,
            now: Date.now,
            signal,
          },
          { folder, scanEveryMs: 1_000, settleMs, serverRetryMs: 30_000 },
        ),
      );
    });
}

/** The JSON API client for the configured server and key (watches exist only there). */
async function apiFrom(opts: { server?: string; key?: string; config?: string; protocol?: string }) {
  const config = await configFrom(opts);
  const { createApiClient } = await import('../../sdk/cercapec-api.ts');
  return createApiClient({ baseUrl: config.endpoint, key: config.key });
}

function connection(command: Command): Command {
  return command
    .option('--server <url>', 'server URL, e.g. https://pec.example.it (env CERCAPEC_SERVER)')
    .option('--key <key>', 'API key (env CERCAPEC_KEY; better kept in the config file than in shell history)')
    .option('--config <file>', 'config file (default ~/.config/cercapec/client.json)')
    .option('--protocol <protocol>', 'text (/index_ws.php, any compatible server), json (cercapec /v1) or auto (env CERCAPEC_PROTOCOL; default auto)');
}

function configFrom(opts: { server?: string; key?: string; config?: string; protocol?: string }): Promise<ClientConfig> {
  return resolveClientConfig({
    flags: { server: opts.server, key: opts.key, config: opts.config, protocol: opts.protocol },
    env: process.env,
    home: homedir(),
    warn,
  });
}

/**
 * What batch and watch need. They import run-batch.ts (exceljs: 0.6 s of CPU to load, three
 * times all the rest of the client) and progress.ts (cli-progress) in their actions, so that
 * `lookup`, `balance` and `--help` start without them.
 */
async function batchDeps(opts: Record<string, string | undefined>): Promise<Omit<BatchDeps, 'signal'>> {
  const config = await configFrom(opts);
  const { barProgress, lineProgress } = await import('../../client/progress.ts');
  const everyMs = positiveNumber(opts.progressEvery ?? '5', '--progress-every') * 1000;
  const progress: ProgressFactory = process.stderr.isTTY ? barProgress(process.stderr) : lineProgress(warn, everyMs);
  return { transport: createTransport(config), sleep, random: Math.random, progress, log: warn, now: Date.now, confirmCost: costConfirmation(opts) };
}

/**
 * Runs fn with a signal that SIGINT/SIGTERM abort. An interrupted run prints one line and exits
 * 130/143 (the shell's convention); resolves null then. A second Ctrl-C exits at once.
 */
async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T | null> {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== null) process.exit(130);
    received = signal;
    controller.abort(new ClientError(ClientErrorCode.interrupted, `interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } catch (error) {
    if (received === null || !isClientError(error, ClientErrorCode.interrupted)) throw error;
    warn(`cercapec: ${error.message}`);
    process.exitCode = received === 'SIGINT' ? 130 : 143;
    return null;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Buying again costs money (issue #15): --rebuy and --refresh state the cost and ask. Without a
 * terminal to ask on, --yes is required, checked before anything is sent. `--on-duplicate
 * resubmit` (the old default, which bought again silently) is refused with the new way.
 */
function checkCostFlags(opts: { rebuy?: boolean; refresh?: boolean; yes?: boolean; onDuplicate?: string }): void {
  if (opts.onDuplicate !== undefined && opts.onDuplicate !== 'report') {
    throw new UsageError('--on-duplicate resubmit is gone (it bought codes again without asking): use --rebuy, which states the cost first');
  }
  const flag = opts.refresh ? '--refresh' : opts.rebuy ? '--rebuy' : null;
  if (flag && !opts.yes && process.stdin.isTTY !== true) {
    throw new UsageError(`${flag} charges codes again: stdin is not a terminal to ask on, so add --yes to confirm the cost`);
  }
}

function costConfirmation(opts: { yes?: boolean | string }) {
  return confirmCost({ yes: opts.yes === true, interactive: process.stdin.isTTY === true, input: process.stdin, output: process.stderr });
}

function positiveInt(value: string, what: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > 256) throw new UsageError(`${what} must be a whole number from 1 to 256`);
  return Number(value);
}

function positiveNumber(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${what} must be a positive number of seconds`);
  return n;
}

function warn(line: string): void {
  process.stderr.write(`${line}\n`);
}
