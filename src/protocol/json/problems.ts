import type { FastifyReply } from 'fastify';
import type { ErrorCode } from '../../errors.ts';
import { ProblemSchema } from '../../resources/schemas.ts';

/**
 * RFC 9457 problem types of the JSON API. `type` is a stable relative URI; the table in
 * docs/json-api.md describes each. Codes shared with other protocols map here.
 */
export const ProblemTypes = {
  unauthorized: { status: 401, title: 'Missing or invalid API key' },
  invalid_request: { status: 400, title: 'The request does not match the schema' },
  invalid_code: { status: 422, title: 'Invalid codice fiscale or partita IVA' },
  invalid_callback_url: { status: 422, title: 'Callback URL not allowed' },
  insufficient_credit: { status: 402, title: 'Insufficient credit' },
  idempotency_conflict: { status: 422, title: 'Idempotency-Key reused with another body' },
  not_found: { status: 404, title: 'No such resource' },
  not_cancellable: { status: 409, title: 'The lookup can no longer be cancelled' },
  rate_limited: { status: 429, title: 'Too many requests' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  unavailable: { status: 503, title: 'Temporarily unavailable' },
} as const;

export type ProblemName = keyof typeof ProblemTypes;

export function problemTypeUri(name: ProblemName): string {
  return `/problems/${name.replaceAll('_', '-')}`;
}

export function sendProblem(reply: FastifyReply, name: ProblemName, detail?: string) {
  const { status, title } = ProblemTypes[name];
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="cercapec"');
  if (status === 429) reply.header('retry-after', '10');
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify({ type: problemTypeUri(name), title, status, ...(detail ? { detail } : {}), code: name }));
}

/**
 * Route response schemas for problems, documented with the content type they are sent with
 * (application/problem+json, not application/json) and the titles each status can carry.
 */
export function problemResponses<S extends number>(
  ...statuses: S[]
): Record<S, { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description:
          Object.values(ProblemTypes)
            .filter((p) => p.status === status)
            .map((p) => p.title)
            .join('; ') || 'Problem',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  ) as Record<S, { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }>;
}

/** Service errors (typed codes) to problem types. */
export function problemForCode(code: ErrorCode): ProblemName {
  switch (code) {
    case 'code_invalid':
      return 'invalid_code';
    case 'insufficient_credit':
      return 'insufficient_credit';
    case 'idempotency_conflict':
      return 'idempotency_conflict';
    case 'lookup_not_found':
    case 'token_unknown':
    case 'no_request_for_code':
      return 'not_found';
    case 'not_cancellable':
      return 'not_cancellable';
    case 'rate_limited':
      return 'rate_limited';
    case 'key_missing':
    case 'key_invalid':
      return 'unauthorized';
    case 'invalid_argument':
      return 'invalid_request';
    default:
      return 'unavailable';
  }
}
