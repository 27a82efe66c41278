import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';

/** The password the fixtures give every user they create. */
export const PASSWORD = 'una-password-lunga';

export interface Response {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  rawPayload: Buffer;
}

/**
 * A browser-like client of one part of the site (/admin, /portal) over app.inject: keeps
 * cookies, sends the Origin a browser would, and reads the CSRF token from the last page it got.
 */
export class FormClient {
  readonly cookies = new Map<string, string>();
  csrf = '';
  /** `remoteAddress`: the client address the server sees (the login throttle counts per address). */
  constructor(
    protected readonly app: FastifyInstance,
    /** '/admin' or '/portal', and the name of its session cookie. */
    readonly part: { base: string; sessionCookie: string },
    readonly origin = 'http://localhost',
    readonly remoteAddress = '127.0.0.1',
  ) {}

  protected remember(res: { cookies: { name: string; value: string; maxAge?: number; expires?: Date }[]; body: string }) {
    for (const c of res.cookies) {
      const gone = c.value === '' || c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now());
      if (gone) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const token = /name="_csrf" value="([^"]*)"/.exec(res.body)?.[1];
    if (token !== undefined) this.csrf = token;
  }

  cookieHeader(): string {
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

  /** Opens the login page and posts the login form. */
  async tryLogin(username: string, password: string): Promise<Response> {
    await this.get(`${this.part.base}/login`);
    return this.post(`${this.part.base}/login`, { username, password });
  }

  /** Logs in through the login form; asserts it worked, then picks up the session's CSRF token. */
  async login(username: string, password = PASSWORD): Promise<void> {
    const res = await this.tryLogin(username, password);
    assert.equal(res.statusCode, 303, `login of ${username}: ${res.statusCode}\n${res.body.slice(0, 500)}`);
    assert.ok(this.cookies.has(this.part.sessionCookie), 'session cookie set');
    await this.get(this.part.base);
  }
}
