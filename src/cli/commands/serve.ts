import type { Command } from 'commander';
import closeWithGrace from 'close-with-grace';
import { configFrom, storeOptions } from '../context.ts';
import { startServer } from '../../server.ts';
import { DEMO_KEY, ensureDemo } from '../../demo.ts';
import { startAllStandins, type RunningStandins } from '../../standins/start-all.ts';
import { UsageError } from '../context.ts';
import { guardSecretFile } from '../../security/check-file-permissions.ts';
import { exitWithNpm } from '../exit-with-npm.ts';

export function serveCommand(program: Command): void {
  storeOptions(program.command('serve').description('start the service (HTTP API and workers)'))
    .option('--port <port>', 'port to listen on (env CERCAPEC_PORT, default 8080)')
    .option('--host <host>', 'address to listen on (env CERCAPEC_HOST, default 127.0.0.1)')
    .option('--role <role>', 'api, worker or all (env CERCAPEC_ROLE, default all)')
    .option('--demo', 'create the demo account and import the IPA sample if missing')
    .option('--standins', 'with --demo: start the registry stand-ins in this process and use them as the registries')
    .action(async (opts) => {
      const config = configFrom(opts, { port: opts.port, host: opts.host, role: opts.role });
      if (opts.standins && !opts.demo) throw new UsageError('--standins goes with --demo (the stand-ins serve generated data)');
      // Delays like a real registry's, so WAIT| shows before the answer.
      let standins: RunningStandins | null = null;
      if (opts.standins) standins = await startAllStandins({ delayMs: [300, 1500] });
      const overrides = standins ? { registriesFile: { ...standins.registriesFile, deadlineMinutes: 15 } } : {};
      const server = await startServer(config, overrides, opts.demo ? (s) => ensureDemo(s).then(() => {}) : undefined).catch(async (error) => {
        await standins?.close();
        throw error;
      });
      const { logger } = server.services;
      // The registries file may hold credentials: say so when others can read it (src/security/check-file-permissions.ts).
      if (config.registriesFile) guardSecretFile(config.registriesFile, 'warn', (p) => logger.warn({ file: p.path, mode: p.mode }, p.message));
      logger.info({ store: server.services.store.description, role: config.role, url: server.url }, 'cercapec started');
      if (opts.demo && server.url) {
        process.stdout.write(
          [
            '',
            `cercapec in ascolto su ${server.url} (dati: ${server.services.store.description})`,
            `Chiave demo: ${DEMO_KEY}`,
            `Prova: curl -d key=${DEMO_KEY} -d cf=82003050109 ${server.url}/index_ws.php`,
            `Sorveglianza PEC (un cambio di indirizzo dimostrativo): curl -H "Authorization: Bearer ${DEMO_KEY}" ${server.url}/v1/watches/events`,
            ...(standins ? standinBanner(standins, server.url) : []),
            '',
          ].join('\n') + '\n',
        );
      }
      closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
        if (err) logger.error({ err }, 'shutting down after an error');
        else logger.info({ signal }, 'shutting down');
        await server.close();
        await standins?.close();
      });
      // Started by `npm start` and npm stopped: shut down as on SIGTERM (exit-with-npm.ts).
      exitWithNpm({
        env: process.env,
        onGone: () => {
          logger.info('the npm process that started the server is gone');
          process.kill(process.pid, 'SIGTERM');
        },
      });
    });
}

function standinBanner(standins: RunningStandins, url: string): string[] {
  const lines = ['', 'Registri simulati (stand-in locali, dati generati): un codice risponde OK|token, poi WAIT|token, poi la risposta.'];
  for (const { definition, handle } of standins.standins) {
    lines.push(`  ${definition.source.padEnd(11)} ${handle.url.padEnd(24)} conosce: ${standins.samples[definition.source].slice(0, 2).join(' ')}`);
  }
  // The stand-ins share one generated dataset, so a code may be known to several: say who answers.
  lines.push('Risponde la prima fonte della catena che conosce il codice: 11 cifre directory → ipa-mirror → ipa-ws23 → inipec → openapi;');
  lines.push('16 caratteri directory → inad → inipec → openapi. La fonte di ogni risposta è in GET /v1/lookups/<token> (campo addresses[].source).');
  lines.push(`Poi: curl "${url}/index_ws.php?key=${DEMO_KEY}&token=<token>"   Stato delle fonti: ${url}/healthz/sources`);
  return lines;
}
