import { parse } from 'fast-querystring';

/**
 * The one parser of query strings and urlencoded forms: Fastify's router and the text protocol's
 * form parser are given it, and the text protocol's fast path calls it, so both paths read
 * `a=1&a=2`, `+` and broken %-escapes alike. It is what Fastify and @fastify/formbody use by
 * default (fast-querystring).
 */
export function parseQueryString(text: string): Record<string, unknown> {
  return text.length === 0 ? {} : parse(text);
}
