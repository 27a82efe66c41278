import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Store } from '../../store/store.ts';
import type { Clock } from '../../clock.ts';
import type { LookupDeps } from '../../lookups/lookup-deps.ts';
import type { User } from '../../users/users.ts';
import type { SessionPolicy } from '../../users/sessions.ts';
import type { ThrottlePolicy } from '../../users/login-throttle.ts';
import type { ScryptParams } from '../../users/password.ts';
import type { RateLimiter } from '../../protocol/rate-limiter.ts';
import type { ParseSlots } from '../../batches/parse-slots.ts';
import { MESSAGES, type Lang, type PortalMessages } from './i18n.ts';

/** What the portal needs, passed in by buildApp. */
export interface PortalDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Batches are created with the protocol's own rules (src/batches/create-batch.ts). */
  lookups: LookupDeps;
  session: SessionPolicy;
  scrypt: ScryptParams;
  throttle: ThrottlePolicy;
  loginLimiter: RateLimiter;
  /** Where uploads wait between the preview and the confirmation (src/web/portal/upload-store.ts). */
  uploadDir: string;
  batch: { maxRows: number; maxBytes: number; maxInflatedBytes?: number };
  /** XLSX reads at once (preview, count, confirm) and how long one waits for its turn: src/batches/parse-slots.ts. */
  xlsx: { slots: ParseSlots; waitMs: number };
  allowPrivateCallbacks: boolean;
}

/** Per request: the language, and the customer with their session's CSRF token once logged in. */
export interface PortalState {
  lang: Lang;
  t: PortalMessages;
  user: (User & { accountId: string }) | null;
  sessionId: string | null;
  csrf: string;
  expired: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    portal: PortalState;
  }
}

export function portalState(req: FastifyRequest): PortalState {
  return req.portal ?? { lang: 'it', t: MESSAGES.it, user: null, sessionId: null, csrf: '', expired: false };
}

/** The logged-in customer's account id: every query of the portal is narrowed to it. */
export function accountIdOf(req: FastifyRequest): string {
  const user = portalState(req).user;
  if (!user) throw new Error('portal route without a session');
  return user.accountId;
}

/** A mistake in a form, shown to the customer in their language. */
export class PortalFormError extends Error {
  constructor(
    readonly messageKey: keyof PortalMessages & string,
    readonly status = 400,
  ) {
    super(messageKey);
    this.name = 'PortalFormError';
  }
}
