import type { FastifyReply, FastifyRequest } from 'fastify';
import { portalCookieOptions } from './guard.ts';

/**
 * A secret shown once on the page a POST redirects to (post/redirect/get): a new API key or a
 * new webhook secret. It travels in a short-lived cookie, httpOnly and SameSite=Strict, scoped
 * to the page that shows it, and is cleared by that page: never in a URL, a log or the store.
 */
const FLASH_COOKIE = 'cercapec_portal_secret';

export function setFlashSecret(req: FastifyRequest, reply: FastifyReply, path: string, secret: string): void {
  reply.setCookie(FLASH_COOKIE, secret, { ...portalCookieOptions(req), path, maxAge: 120 });
}

/** The secret, once: the cookie is cleared in the same answer. */
export function takeFlashSecret(req: FastifyRequest, reply: FastifyReply, path: string): string | null {
  const value = req.cookies[FLASH_COOKIE];
  if (!value) return null;
  reply.clearCookie(FLASH_COOKIE, { ...portalCookieOptions(req), path });
  return /^[A-Za-z0-9_.-]{10,200}$/.test(value) ? value : null;
}
