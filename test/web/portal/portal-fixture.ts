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
