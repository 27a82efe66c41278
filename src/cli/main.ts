import { Command, CommanderError } from 'commander';
import { isCercapecError } from '../errors.ts';
import { UsageError } from './usage-error.ts';
import { registerCommands } from './command-modules.ts';

const program = new Command('cercapec').description('PEC lookup service: the trovapec web-service protocol, self-hosted').exitOverride().showHelpAfterError();

try {
  await registerCommands(program, process.argv[2]);
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // Known mistakes get one readable line; anything else too, never a stack trace.
  // config.ts is imported here, not at the top: it loads zod, which `validate` does not need.
  const { ConfigError } = await import('../config.ts');
  const known = error instanceof UsageError || error instanceof ConfigError || isCercapecError(error);
  console.error(`cercapec: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(known ? 2 : 1);
}
