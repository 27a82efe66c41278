import type { Command } from 'commander';

type Register = (program: Command) => void;

export interface CommandModule {
  /** The top-level commands the module registers. */
  names: readonly string[];
  load: () => Promise<Register>;
}

/**
 * Every top-level command with the module that declares it, in the order `--help` lists them.
 * The CLI imports only the module of the command it runs: all of them load fastify, kysely, zod,
 * exceljs and both database drivers, 2.6 s of CPU on the shared machine (`cercapec --help`)
 * against 0.24 s for `cercapec validate` alone (node itself: 0.14 s).
 */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ['serve'], load: async () => (await import('./commands/serve.ts')).serveCommand },
  { names: ['accounts'], load: async () => (await import('./commands/accounts.ts')).accountsCommand },
  { names: ['keys'], load: async () => (await import('./commands/keys.ts')).keysCommand },
  { names: ['import', 'datasets'], load: async () => (await import('./commands/import.ts')).importCommand },
  { names: ['validate'], load: async () => (await import('./commands/validate.ts')).validateCommand },
  { names: ['migrate'], load: async () => (await import('./commands/migrate.ts')).migrateCommand },
  { names: ['copy-store'], load: async () => (await import('./commands/copy-store.ts')).copyStoreCommand },
  { names: ['client'], load: async () => (await import('./commands/client.ts')).clientCommand },
  { names: ['backup'], load: async () => (await import('./commands/backup.ts')).backupCommand },
  { names: ['restore'], load: async () => (await import('./commands/restore.ts')).restoreCommand },
  { names: ['users'], load: async () => (await import('./commands/users.ts')).usersCommand },
  { names: ['registries'], load: async () => (await import('./commands/registries.ts')).registriesCommand },
  { names: ['standins'], load: async () => (await import('./commands/standins.ts')).standinsCommand },
  { names: ['erase'], load: async () => (await import('./commands/erase.ts')).eraseCommand },
  { names: ['watches'], load: async () => (await import('./commands/watches.ts')).watchesCommand },
  { names: ['ledger'], load: async () => (await import('./commands/ledger.ts')).ledgerCommand },
];

/**
 * Registers the command named by `name` (the first argument) alone when a module declares it,
 * every command otherwise: `--help`, `help <command>`, a mistyped name (commander suggests the
 * closest) and no argument all need the whole list.
 */
export async function registerCommands(program: Command, name: string | undefined): Promise<void> {
  const own = COMMAND_MODULES.find((m) => name !== undefined && m.names.includes(name));
  for (const module of own ? [own] : COMMAND_MODULES) (await module.load())(program);
}
