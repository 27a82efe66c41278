import { Command, CommanderError } from 'commander';
import { isCercapecError } from '../errors.ts';
import { ConfigError } from '../config.ts';
import { UsageError } from './context.ts';
import { serveCommand } from './commands/serve.ts';
import { accountsCommand } from './commands/accounts.ts';
import { keysCommand } from './commands/keys.ts';
import { importCommand } from './commands/import.ts';
import { validateCommand } from './commands/validate.ts';
import { migrateCommand } from './commands/migrate.ts';
import { copyStoreCommand } from './commands/copy-store.ts';
import { clientCommand } from './commands/client.ts';
import { backupCommand } from './commands/backup.ts';
import { restoreCommand } from './commands/restore.ts';
import { usersCommand } from './commands/users.ts';
import { registriesCommand } from './commands/registries.ts';
import { standinsCommand } from './commands/standins.ts';
import { eraseCommand } from './commands/erase.ts';
import { ledgerCommand } from './commands/ledger.ts';

const program = new Command('cercapec')
  .description('PEC lookup service: the trovapec web-service protocol, self-hosted')
  .exitOverride()
  .showHelpAfterError();

serveCommand(program);
accountsCommand(program);
keysCommand(program);
importCommand(program);
validateCommand(program);
migrateCommand(program);
copyStoreCommand(program);
clientCommand(program);
backupCommand(program);
restoreCommand(program);
usersCommand(program);
registriesCommand(program);
standinsCommand(program);
eraseCommand(program);
ledgerCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // Known mistakes get one readable line; anything else too, never a stack trace.
  const known = error instanceof UsageError || error instanceof ConfigError || isCercapecError(error);
  console.error(`cercapec: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(known ? 2 : 1);
}
