import type { FastifyInstance } from 'fastify';
import { page } from '../layout.ts';
import { stateOf, type AdminDeps } from '../admin-context.ts';
import { CHALLENGE_COOKIE, cookieOptions, issueLoginToken, LOGIN_CSRF_COOKIE, SESSION_COOKIE } from '../guard.ts';
import { loginRoutes, safeNextIn } from '../../login-routes.ts';

/** Only a path inside the back office: never another host (no open redirect). */
export function safeAdminNext(next: string): string {
  return safeNextIn('/admin', next);
}

/** Login and logout of the back office, in the staff realm. */
export function authRoutes(app: FastifyInstance, deps: AdminDeps): void {
  loginRoutes(app, {
    base: '/admin',
    realm: 'staff',
    publicConfig: { access: 'public' },
    state: stateOf,
    safeNext: safeAdminNext,
    render: (req, reply, o) => reply.code(o.status).type('text/html; charset=utf-8').send(page(req, o).text),
    cookies: { session: SESSION_COOKIE, loginCsrf: LOGIN_CSRF_COOKIE, challenge: CHALLENGE_COOKIE, options: cookieOptions, issueLoginToken },
    deps,
  });
}
