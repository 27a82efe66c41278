import type { FastifyInstance } from 'fastify';
import { createUser, type User } from '../../src/users/users.ts';
import { submitLookup } from '../../src/lookups/submit-lookup.ts';
import { enqueueOperatorRequest } from '../../src/lookups/enqueue-operator.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { cf11CheckDigit } from '../../src/taxid/index.ts';
import { LOOKUP_QUEUE } from '../../src/lookups/lookup-status.ts';
import type { Harness } from '../helpers/services.ts';
import { TEST_SCRYPT } from '../helpers/password-cost.ts';
import type { Store } from '../../src/store/store.ts';
import { FormClient, PASSWORD, type Response } from '../helpers/form-client.ts';

export { PASSWORD };

/** A valid 11-digit code (company codice fiscale), different for each n. */
export function cf11(n: number): string {
  const first10 = `${String(n).padStart(7, '0')}001`;
  return first10 + cf11CheckDigit(first10);
}

export async function staff(store: Store, now: number): Promise<{ admin: User; operator: User; operator2: User }> {
  return {
    admin: await createUser(store, now, { username: 'anna', password: PASSWORD, role: 'admin' }, undefined, TEST_SCRYPT),
    operator: await createUser(store, now, { username: 'otto', password: PASSWORD, role: 'operator' }, undefined, TEST_SCRYPT),
    operator2: await createUser(store, now, { username: 'olga', password: PASSWORD, role: 'operator' }, undefined, TEST_SCRYPT),
  };
}

/**
 * A request that waits for a person, as the lookup worker leaves it when no registry answers:
 * accepted (and charged) through the protocol path, then moved to waiting_operator with its job
 * in the operator queue, in one transaction. The registry side is not needed.
 */
export async function waitingRequest(
  h: Pick<Harness, 'services' | 'store' | 'clock'>,
  accountId: string,
  code: string,
): Promise<{ requestId: string; jobId: string }> {
  const account = (await getAccount(h.store, accountId))!;
  const { id } = await submitLookup(h.services.lookups, { account, code, via: 'text' });
  const now = h.clock.now();
  await h.store.db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('jobs')
      .where('queue', '=', LOOKUP_QUEUE)
      .where('payload', '=', JSON.stringify({ requestId: id }))
      .execute();
    await trx.updateTable('requests').set({ status: 'waiting_operator', updated_at: now }).where('id', '=', id).execute();
    await enqueueOperatorRequest(trx, id, now);
  });
  const job = await h.store.db
    .selectFrom('jobs')
    .select('id')
    .where('queue', '=', 'operator')
    .where('payload', '=', JSON.stringify({ requestId: id }))
    .executeTakeFirstOrThrow();
  return { requestId: id, jobId: job.id };
}

export type { Response };

/** A browser-like client of the back office (test/helpers/form-client.ts). */
export class AdminClient extends FormClient {
  constructor(app: FastifyInstance, origin = 'http://localhost', remoteAddress = '127.0.0.1') {
    super(app, { base: '/admin', sessionCookie: 'cercapec_admin' }, origin, remoteAddress);
  }

  /** A client already logged in as `username` (`staff` makes anna, otto and olga). */
  static async signedIn(
    app: FastifyInstance,
    username: string,
    options: { password?: string; origin?: string; remoteAddress?: string } = {},
  ): Promise<AdminClient> {
    const client = new AdminClient(app, options.origin, options.remoteAddress);
    await client.login(username, options.password);
    return client;
  }
}
