import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { it, type Messages } from './messages-it.ts';
import { en } from './messages-en.ts';

export type Lang = 'it' | 'en';
export const LANG_COOKIE = 'cercapec_admin_lang';

/** ?lang=en|it wins (and is remembered in a cookie by the plugin); then the cookie; Italian by default. */
export function pickLang(req: FastifyRequest): { lang: Lang; chosen: Lang | null } {
  const query = (req.query as Record<string, unknown> | undefined)?.lang;
  if (query === 'en' || query === 'it') return { lang: query, chosen: query };
  const cookie = req.cookies?.[LANG_COOKIE];
  return { lang: cookie === 'en' ? 'en' : 'it', chosen: null };
}

export type { Messages };

export const MESSAGES: Record<Lang, Messages> = { it, en };
