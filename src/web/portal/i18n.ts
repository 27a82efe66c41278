import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { it, type PortalMessages } from './messages-it.ts';
import { en } from './messages-en.ts';

export type Lang = 'it' | 'en';
export const PORTAL_LANG_COOKIE = 'cercapec_portal_lang';

/** ?lang=en|it wins (and is remembered in a cookie by the guard); then the cookie; Italian by default. */
export function pickLang(req: FastifyRequest): { lang: Lang; chosen: Lang | null } {
  const query = (req.query as Record<string, unknown> | undefined)?.lang;
  if (query === 'en' || query === 'it') return { lang: query, chosen: query };
  return { lang: req.cookies?.[PORTAL_LANG_COOKIE] === 'en' ? 'en' : 'it', chosen: null };
}

export type { PortalMessages };

export const MESSAGES: Record<Lang, PortalMessages> = { it, en };
