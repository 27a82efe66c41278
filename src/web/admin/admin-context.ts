import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Store } from '../../store/store.ts';
import type { Clock } from '../../clock.ts';
import type { Notifier } from '../../queue/notifier.ts';
import type { LookupDeps } from '../../lookups/lookup-deps.ts';
import type { User } from '../../users/users.ts';
import type { SessionPolicy } from '../../users/sessions.ts';
import type { ThrottlePolicy } from '../../users/login-throttle.ts';
import type { ScryptParams } from '../../users/password.ts';
import type { RateLimiter } from '../../protocol/rate-limiter.ts';
import { userActor, type AuditBy } from '../../audit/record-audit.ts';
import { MESSAGES, type Lang, type Messages } from './i18n.ts';

/** What the back office needs, passed in by buildApp. */
export interface AdminDeps {
  store: Store;
  clock: Clock;
  notifier: Notifier;
  logger: Logger;
  /** To cancel requests with the protocol's own rules. */
  lookups: LookupDeps;
  session: SessionPolicy;
  /** The password hashing cost (config passwordHashCost): what a login for an unknown name costs. */
  scrypt: ScryptParams;
  /** Failed logins slow down their (username, address) and address: src/users/login-throttle.ts. */
  throttle: ThrottlePolicy;
  /** Login attempts per client address, failed or not: each try costs a scrypt hash. */
  loginLimiter: RateLimiter;
  operatorLeaseMs: number;
  /** The dashboard's default low-balance threshold for prepaid accounts (config lowBalanceCents). */
  lowBalanceCents: number;
}

/** Who may open a route: anyone (login, assets), any logged-in person, or admins only. */
export type Access = 'public' | 'staff' | 'admin';

/** Per request: the language, and the person with their session's CSRF token once logged in. */
export interface AdminState {
  lang: Lang;
  t: Messages;
  user: User | null;
  sessionId: string | null;
  csrf: string;
  /** A session cookie came but opened nothing (expired, ended): the login page says so. */
  expired: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    admin: AdminState;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

export function stateOf(req: FastifyRequest): AdminState {
  return req.admin ?? { lang: 'it', t: MESSAGES.it, user: null, sessionId: null, csrf: '', expired: false };
}

/** The logged-in person (routes other than public ones only run with one). */
export function userOf(req: FastifyRequest): User {
  const user = stateOf(req).user;
  if (!user) throw new Error('admin route without a session');
  return user;
}

export function auditBy(req: FastifyRequest): AuditBy {
  return { actor: userActor(userOf(req).username) };
}

/** A form field as one trimmed string ('' when missing; the first when sent twice). */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | null | undefined)?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : '';
}

/** A query parameter the same way. */
export function param(req: FastifyRequest, name: string): string {
  return field(req.query, name);
}

/** A mistake in a form, shown to the person in their language (a key of the messages). */
export class FormError extends Error {
  constructor(
    readonly messageKey: keyof Messages & string,
    readonly status = 400,
  ) {
    super(messageKey);
    this.name = 'FormError';
  }
}
