import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createUser, type User } from '../../../src/users/users.ts';
import { TEST_SCRYPT } from '../../helpers/password-cost.ts';
import type { Store } from '../../../src/store/store.ts';
import { FormClient, PASSWORD, type Response } from '../../helpers/form-client.ts';

export { PASSWORD };

export function customer(store: Store, now: number, username: string, accountId: string): Promise<User> {
  return createUser(store, now, { username, password: PASSWORD, role: 'customer', accountId }, undefined, TEST_SCRYPT);
}

export type { Response };

/** A browser-like client of /portal (test/helpers/form-client.ts), which can also upload a file. */
export class PortalClient extends FormClient {
  constructor(app: FastifyInstance, origin = 'http://localhost', remoteAddress = '127.0.0.1') {
    super(app, { base: '/portal', sessionCookie: 'cercapec_portal' }, origin, remoteAddress);
  }

  /** The upload form's multipart POST, the CSRF token in the action's query as the page puts it. */
  async upload(filename: string, content: string | Buffer, o: { csrf?: string } = {}): Promise<Response> {
    const boundary = '----cercapectest';
    const head = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: application/octet-stream\r\n\r\n`;
    const payload = Buffer.concat([Buffer.from(head), Buffer.from(content), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const res = await this.app.inject({
      method: 'POST',
      url: `/portal/uploads?_csrf=${encodeURIComponent(o.csrf ?? this.csrf)}`,
      remoteAddress: this.remoteAddress,
      payload,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie: this.cookieHeader(), origin: this.origin },
    });
    this.remember(res);
    return res;
  }
}

/**
 * The same browser-like client over real HTTP (fetch against a listening server): cookies kept
 * by hand, the Origin a browser would send, the CSRF token read from the last page.
 */
export class HttpPortalClient {
  readonly cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly base: string) {}

  private async remember(res: globalThis.Response): Promise<Response> {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
      const gone = value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const body = await res.text();
    const token = /name="_csrf" value="([^"]*)"/.exec(body)?.[1];
    if (token !== undefined) this.csrf = token;
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), body, rawPayload: Buffer.from(body) };
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(path: string): Promise<Response> {
    return this.remember(await fetch(`${this.base}${path}`, { redirect: 'manual', headers: { cookie: this.cookieHeader() } }));
  }

  async post(path: string, fields: Record<string, string>): Promise<Response> {
    const form = new URLSearchParams({ ...fields, _csrf: this.csrf });
    return this.remember(
      await fetch(`${this.base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader(), origin: this.base },
      }),
    );
  }

  async login(username: string, password = PASSWORD): Promise<void> {
    await this.get('/portal/login');
    const res = await this.post('/portal/login', { username, password });
    assert.equal(res.statusCode, 303, `login of ${username}: ${res.statusCode}\n${res.body.slice(0, 500)}`);
    assert.ok(this.cookies.has('cercapec_portal'), 'session cookie set');
    await this.get('/portal');
  }
}
