import type { Command } from 'commander';
import { storeOptions, UsageError, withStore } from '../context.ts';
import { readNewPassword } from '../read-password.ts';
import { createUser, findUser, listUsers, setPassword, setUserStatus } from '../../users/users.ts';
import { resetTotp } from '../../users/totp-enrolment.ts';
import { CercapecError, ErrorCode } from '../../errors.ts';
import { CLI_ACTOR } from '../../audit/record-audit.ts';
import { systemClock } from '../../clock.ts';
import { scryptParams } from '../../users/password.ts';
import { UserStatus } from '../../users/user-status.ts';

/** People of the back office (/admin): the first admin comes from here. */
export function usersCommand(program: Command): void {
  const users = program.command('users').description('people who log in: admins and operators of /admin, customers of /portal');

  storeOptions(users.command('add <username>').description('create a user; the password is asked on the terminal, or read from stdin'))
    .requiredOption('--role <role>', 'admin, operator or customer')
    .option('--account <id>', 'customer only: the account (id) the user belongs to and sees')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (username: string, opts) => {
      if (!['admin', 'operator', 'customer'].includes(opts.role)) throw new UsageError('--role must be admin, operator or customer');
      if (opts.role === 'customer' && !opts.account) throw new UsageError('a customer needs --account <account id>');
      if (opts.role !== 'customer' && opts.account) throw new UsageError('--account is for --role customer only');
      const password = await readNewPassword({ fromStdin: Boolean(opts.passwordStdin) });
      await withStore(opts, async (store, config) => {
        const user = await createUser(
          store,
          systemClock.now(),
          { username, password, role: opts.role, accountId: opts.account ?? null },
          CLI_ACTOR,
          scryptParams(config.passwordHashCost),
        );
        console.log(
          `user ${user.username} (${user.role}${user.accountId ? ` of account ${user.accountId}` : ''}) created: log in at ${user.role === 'customer' ? '/portal' : '/admin'}`,
        );
      });
    });

  storeOptions(users.command('list').description('users with role, status and last login'))
    .option('--json', 'machine-readable output')
    .action(async (opts) => {
      await withStore(opts, async (store) => {
        const rows = await listUsers(store);
        if (opts.json) return console.log(JSON.stringify(rows, null, 2));
        // The account comes last: scripts reading the first four columns keep working.
        console.log(['username', 'role', 'status', 'last login', 'account'].join('\t'));
        for (const u of rows)
          console.log([u.username, u.role, u.status, u.lastLoginAt ? new Date(u.lastLoginAt).toISOString() : '-', u.accountId ?? '-'].join('\t'));
      });
    });

  storeOptions(users.command('passwd <username>').description("set a user's password (ends their sessions)"))
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (username: string, opts) => {
      const password = await readNewPassword({ fromStdin: Boolean(opts.passwordStdin) });
      await withStore(opts, async (store, config) => {
        await setPassword(store, systemClock.now(), username, password, CLI_ACTOR, scryptParams(config.passwordHashCost));
        console.log(`password of ${username} changed; their sessions are ended`);
      });
    });

  for (const [verb, status] of [
    ['disable', UserStatus.disabled],
    ['enable', UserStatus.active],
  ] as const) {
    storeOptions(
      users.command(`${verb} <username>`).description(verb === 'disable' ? 'disable a user (ends their sessions at once)' : 'enable a disabled user'),
    ).action(async (username: string, opts) => {
      await withStore(opts, async (store) => {
        await setUserStatus(store, systemClock.now(), username, status, CLI_ACTOR);
        console.log(`user ${username} ${status}`);
      });
    });
  }

  // For an admin locked out of the back office: no phone, no recovery code, no other admin.
  storeOptions(users.command('totp-reset <username>').description("turn off a user's second factor (TOTP) and delete their recovery codes")).action(
    async (username: string, opts) => {
      await withStore(opts, async (store) => {
        const user = await findUser(store, username);
        if (!user) throw new CercapecError(ErrorCode.userNotFound, `no user "${username}"`);
        const wasOn = await resetTotp(store, user, systemClock.now(), CLI_ACTOR);
        console.log(wasOn ? `second factor of ${user.username} reset: the password alone logs in` : `${user.username} had no second factor`);
      });
    },
  );
}
