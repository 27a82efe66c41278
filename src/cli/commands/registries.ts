import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import pino from 'pino';
import { systemClock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import { openConfiguredStore, type Store } from '../../store/store.ts';
import { buildRegistries } from '../../registries/build-registries.ts';
import { SOURCE_DEFINITIONS } from '../../registries/catalog.ts';
import { createRegistryMetrics } from '../../registries/metrics.ts';
import { CommonSourceSchema, loadRegistriesFile, parseRegistriesFile, type LoadedRegistriesFile } from '../../registries/registries-file.ts';
import { SourceLimitsSchema } from '../../registries/source-limits.ts';
import { IPA_MIRROR_ID, IpaMirrorOptions, ipaMirrorRefresher, ipaMirrorSource } from '../../registries/ipa-mirror/definition.ts';
import { configFrom, storeOptions, UsageError } from '../context.ts';

/** The name the README's flow writes with `standins --write-config`. */
const DEFAULT_FILE_NAME = 'registries.json';

/** Sources that keep a local copy and can be refreshed on demand. */
const REFRESHABLE = [IPA_MIRROR_ID];
/** Short names people type (`registries refresh ipa`): there is one IPA mirror. */
const ALIASES: Record<string, string> = { ipa: IPA_MIRROR_ID };

export function registriesCommand(program: Command): void {
  const registries = program.command('registries').description('the registries lookups ask (the registries file, CERCAPEC_REGISTRIES_FILE)');

  storeOptions(registries.command('status').description('configured sources, routing, and the freshness of mirrored registries'))
    .option('--registries <file>', 'the registries file (env CERCAPEC_REGISTRIES_FILE)')
    .action(async (opts) => {
      await withConfiguredStore(opts, (store, config) => printStatus(store, config));
    });

  storeOptions(registries.command('refresh <source>').description(`refresh a mirrored registry now (${REFRESHABLE.join(', ')}; "ipa" for short)`))
    .option('--registries <file>', 'the registries file (env CERCAPEC_REGISTRIES_FILE)')
    .option('--force', 'download even if the registry says nothing changed')
    .action(async (named: string, opts) => {
      const source = ALIASES[named] ?? named;
      if (!REFRESHABLE.includes(source)) throw new UsageError(`only ${REFRESHABLE.join(', ')} can be refreshed: "${source}" keeps no local copy`);
      await withConfiguredStore(opts, async (store, config) => {
        const loaded = loadFile(config);
        const { options, limits } = mirrorSection(loaded);
        const refresher = ipaMirrorRefresher(options, { store, clock: systemClock, logger: pino({ level: 'silent' }), limits });
        const report = await refresher.refresh({ force: opts.force === true });
        await refresher.close();
        if (report.outcome === 'replaced') {
          console.log(`${source}: replaced (${report.rows} rows, ${report.entries} addresses, ${report.rejected} rows without a PEC, ${report.bytes} bytes)`);
        } else if (report.outcome === 'not_modified') {
          console.log(`${source}: not modified since the last download`);
        } else {
          console.error(`${source}: refresh failed, the previous data keep answering: ${report.error}`);
          process.exitCode = 1;
        }
      });
    });
}

/** withStore, plus --registries for the registries file. */
async function withConfiguredStore(opts: Record<string, unknown>, fn: (store: Store, config: Config) => Promise<void>): Promise<void> {
  const config = configFrom(opts, { registriesFile: opts.registries });
  const store = await openConfiguredStore(config);
  try {
    await fn(store, config);
  } finally {
    await store.close();
  }
}

function loadFile(config: Config): LoadedRegistriesFile | undefined {
  return config.registriesFile ? loadRegistriesFile(config.registriesFile) : undefined;
}

/** The mirror's options and limits from its section, as buildRegistries reads them. */
function mirrorSection(loaded: LoadedRegistriesFile | undefined) {
  const section = loaded?.file.sources[IPA_MIRROR_ID];
  if (!section)
    throw new UsageError(
      `${IPA_MIRROR_ID} is not configured: the registries file (--registries or CERCAPEC_REGISTRIES_FILE) has no sources."${IPA_MIRROR_ID}" section`,
    );
  const { enabled, limits, breaker, cache, ...own } = section;
  const common = CommonSourceSchema.safeParse({ enabled, limits, breaker, cache });
  const options = IpaMirrorOptions.safeParse(own);
  if (!common.success || !options.success) {
    const issue = (common.error ?? options.error)!.issues[0];
    throw new UsageError(`registries file: sources.${IPA_MIRROR_ID}.${issue.path.map(String).join('.')}: ${issue.message}`);
  }
  if (!common.data.enabled) throw new UsageError(`${IPA_MIRROR_ID} is disabled in the registries file`);
  return { options: options.data, limits: SourceLimitsSchema.parse({ ...ipaMirrorSource.defaultLimits, ...common.data.limits }) };
}

/** Builds the sources as `serve` would (so a bad file fails here too), prints them, builds nothing else. */
async function printStatus(store: Store, config: Config): Promise<void> {
  const loaded = loadFile(config);
  const file = loaded?.file ?? parseRegistriesFile({});
  const registries = buildRegistries({ store, clock: systemClock, logger: pino({ level: 'silent' }), metrics: createRegistryMetrics(), loaded });
  try {
    console.log(`registries file: ${config.registriesFile ?? `none (the local directory only)${unusedFileHint()}`}`);
    const configured = new Set(registries.sources.map((s) => s.id));
    for (const kind of ['cf11', 'cf16'] as const) {
      const missing = file.routing[kind].filter((id) => !configured.has(id));
      console.log(
        `routing ${kind}: ${
          registries
            .chainFor(kind)
            .map((s) => s.id)
            .join(', ') || '(none)'
        }${missing.length ? `  (not configured: ${missing.join(', ')})` : ''}`,
      );
    }
    const descriptions = new Map(SOURCE_DEFINITIONS.map((d) => [d.id, d.description]));
    for (const source of registries.sources) {
      const description = source.id === 'directory' ? 'local directory: datasets imported with `cercapec import`' : (descriptions.get(source.id) ?? '');
      console.log(`${source.id.padEnd(12)} enabled   ${source.kinds.join(',').padEnd(10)} ${description}`);
      const { details } = await source.health();
      if (details) console.log(`${''.padEnd(12)} ${formatDetails(details)}`);
    }
    for (const id of Object.keys(file.sources).filter((id) => !configured.has(id))) console.log(`${id.padEnd(12)} disabled`);
  } finally {
    await registries.close();
  }
}

/** `status ok, 23683 rows, refreshed 2026-…Z, checked 2026-…Z, age 3.5 h`; times are epoch ms in details. */
function formatDetails(d: Record<string, unknown>): string {
  const time = (v: unknown) => (typeof v === 'number' ? new Date(v).toISOString() : 'never');
  const parts = [`status ${String(d.status ?? '?')}`];
  if (d.status === 'never') parts.push('never downloaded: run `cercapec registries refresh ipa-mirror` or start the workers');
  if (d.rows !== null && d.rows !== undefined) parts.push(`${String(d.rows)} rows`);
  if ('refreshedAt' in d) parts.push(`refreshed ${time(d.refreshedAt)}`);
  if ('checkedAt' in d) parts.push(`checked ${time(d.checkedAt)}`);
  if (typeof d.ageHours === 'number') parts.push(`age ${d.ageHours} h`);
  if (d.error) parts.push(`error: ${String(d.error)}`);
  return parts.join(', ');
}

/**
 * A registries.json in the current folder that nothing points at: what `standins --write-config
 * registries.json` leaves behind when CERCAPEC_REGISTRIES_FILE was set only for `serve`.
 */
function unusedFileHint(): string {
  if (!existsSync(DEFAULT_FILE_NAME)) return '';
  return `; ./${DEFAULT_FILE_NAME} is here but not in use: pass --registries ${DEFAULT_FILE_NAME} or export CERCAPEC_REGISTRIES_FILE=${DEFAULT_FILE_NAME} (serve reads the same variable)`;
}
