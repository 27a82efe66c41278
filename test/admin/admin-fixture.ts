import assert from 'node:assert/strict';
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

export const PASSWORD = 'una-password-lunga';

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

export interface Response {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/**
 * A browser-like client over app.inject: keeps cookies, sends the Origin a browser would, and
 * reads the CSRF token from the last page it got.
 */
export class AdminClient {
  readonly cookies = new Map<string, string>();
  csrf = '';
  /** `remoteAddress`: the client address the server sees (the login throttle counts per address). */
  constructor(
    private readonly app: FastifyInstance,
    readonly origin = 'http://localhost',
    readonly remoteAddress = '127.0.0.1',
  ) {}

  private remember(res: { cookies: { name: string; value: string; maxAge?: number; expires?: Date }[]; body: string }) {
    for (const c of res.cookies) {
      const gone = c.value === '' || c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now());
      if (gone) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const token = /name="_csrf" value="([^"]*)"/.exec(res.body)?.[1];
    if (token !== undefined) this.csrf = token;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await this.app.inject({ method: 'GET', url, remoteAddress: this.remoteAddress, headers: { cookie: this.cookieHeader(), ...headers } });
    this.remember(res);
    return res;
  }

  async post(
    url: string,
    fields: Record<string, string>,
    o: { origin?: string | null; csrf?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const form = new URLSearchParams(fields);
    const csrf = o.csrf === undefined ? this.csrf : o.csrf;
    if (csrf !== null) form.set('_csrf', csrf);
    const origin = o.origin === undefined ? this.origin : o.origin;
    const res = await this.app.inject({
      method: 'POST',
      url,
      remoteAddress: this.remoteAddress,
      payload: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader(), ...(origin === null ? {} : { origin }), ...o.headers },
    });
    this.remember(res);
    return res;
  }

  /** Logs in through the login form; asserts it worked. */
  async login(username: string, password = PASSWORD): Promise<void> {
    const res = await this.tryLogin(username, password);
    assert.equal(res.statusCode, 303, `login of ${username}: ${res.statusCode}\n${res.body.slice(0, 500)}`);
    assert.ok(this.cookies.has('cercapec_admin'), 'session cookie set');
    await this.get('/admin'); // picks up the session's CSRF token
  }

  async tryLogin(username: string, password: string): Promise<Response> {
    await this.get('/admin/login');
    return this.post('/admin/login', { username, password });
  }
}
