import type { FastifyReply, FastifyRequest } from 'fastify';
import { html } from './html.ts';
import { page } from './layout.ts';
import { stateOf } from './admin-context.ts';

/** A whole page for a refused or failed request, in the person's language, with the status. */
export function errorPage(req: FastifyRequest, reply: FastifyReply, status: number, what?: 'csrf', detail?: string): FastifyReply {
  const { t } = stateOf(req);
  const [title, text] =
    what === 'csrf' ? [t.csrfTitle, t.csrfText]
    : status === 403 ? [t.forbiddenTitle, t.forbiddenText]
    : status === 404 ? [t.notFoundTitle, t.notFoundText]
    : status >= 500 ? [t.errorTitle, t.internalError]
    : [t.invalidInput, detail ?? t.invalidInput];
  const body = html`<h1>${title}</h1><p>${text}</p><p><a href="/admin">${t.back}</a></p>`;
  return reply.code(status).type('text/html; charset=utf-8').send(page(req, { title, body }).text);
}
