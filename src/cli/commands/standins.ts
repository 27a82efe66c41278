import type { Command } from 'commander';
import closeWithGrace from 'close-with-grace';
import { startAllStandins } from '../../standins/start-all.ts';
import { UsageError } from '../context.ts';
import { writeSecretFile } from '../../security/write-secret-file.ts';

export function standinsCommand(program: Command): void {
  program
    .command('standins')
    .description('start local stand-ins of every registry (IPA, INI-PEC, INAD with PDND, the commercial API) for tests and demos')
    .option('--port <port>', 'first port (each stand-in takes the next); default: free ports', '0')
    .option('--seed <n>', 'seed of the generated dataset', '20261128')
    .option('--delay <min-max>', 'answer delay range in ms, e.g. 50-300', '20-120')
    .option('--write-config <file>', 'write a registries file pointing cercapec at the stand-ins')
    .action(async (opts) => {
      const basePort = Number(opts.port);
      const seed = Number(opts.seed);
      const delay = /^(\d+)-(\d+)$/.exec(opts.delay);
      if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65_000) throw new UsageError('--port must be a port number');
      if (!Number.isInteger(seed)) throw new UsageError('--seed must be a whole number');
      if (!delay) throw new UsageError('--delay must look like 50-300');
      const running = await startAllStandins({ basePort, seed, delayMs: [Number(delay[1]), Number(delay[2])] });
      const lines = ['Stand-in dei registri in ascolto (solo per prove, dati generati):', ''];
      for (const { definition, handle } of running.standins) {
        lines.push(`  ${definition.source.padEnd(11)} ${handle.url.padEnd(24)} ${definition.description}`);
        lines.push(`  ${''.padEnd(11)} codici: ${running.samples[definition.source].slice(0, 3).join(' ')}`);
      }
      lines.push('', 'Guasti a richiesta: curl -d \'{"mode":"500","count":3}\' <url>/__standin/faults (429, 500, 503, reset, hang, garbage, slow, none)');
      if (opts.writeConfig) {
        writeSecretFile(opts.writeConfig, `${JSON.stringify(running.registriesFile, null, 2)}\n`);
        lines.push(`File dei registri scritto in ${opts.writeConfig} (0600). In un altro terminale, nella stessa cartella:`);
        lines.push(`  export CERCAPEC_REGISTRIES_FILE=${opts.writeConfig}   # letto da serve e da registries status`);
        lines.push('  npx cercapec serve --demo');
      }
      process.stdout.write(`${lines.join('\n')}\n`);
      closeWithGrace({ delay: 5_000 }, async () => running.close());
    });
}
