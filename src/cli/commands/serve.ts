import type { Command } from 'commander';
import closeWithGrace from 'close-with-grace';
import { configFrom, storeOptions } from '../context.ts';
import { startServer } from '../../server.ts';
import { DEMO_KEY, ensureDemo } from '../../demo.ts';

export function serveCommand(program: Command): void {
  storeOptions(program.command('serve').description('start the service (HTTP API and workers)'))
    .option('--port <port>', 'port to listen on (env CERCAPEC_PORT, default 8080)')
    .option('--host <host>', 'address to listen on (env CERCAPEC_HOST, default 127.0.0.1)')
    .option('--role <role>', 'api, worker or all (env CERCAPEC_ROLE, default all)')
    .option('--demo', 'create the demo account and import the IPA sample if missing')
    .action(async (opts) => {
      const config = configFrom(opts, { port: opts.port, host: opts.host, role: opts.role });
      const server = await startServer(config, {}, opts.demo ? (s) => ensureDemo(s).then(() => {}) : undefined);
      const { logger } = server.services;
      logger.info({ store: server.services.store.description, role: config.role, url: server.url }, 'cercapec started');
      if (opts.demo && server.url) {
        process.stdout.write(
          [
            '',
            `cercapec in ascolto su ${server.url} (dati: ${server.services.store.description})`,
            `Chiave demo: ${DEMO_KEY}`,
            `Prova: curl -d key=${DEMO_KEY} -d cf=82003050109 ${server.url}/index_ws.php`,
            '',
          ].join('\n') + '\n',
        );
      }
      closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
        if (err) logger.error({ err }, 'shutting down after an error');
        else logger.info({ signal }, 'shutting down');
        await server.close();
      });
    });
}
