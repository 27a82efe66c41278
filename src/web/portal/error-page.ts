import type { FastifyReply, FastifyRequest } from 'fastify';
import { html } from '../admin/html.ts';
import { portalPage } from './layout.ts';
import { portalState } from './portal-context.ts';

/** A whole page for a refused or failed request, in the customer's language, with the status. */
export function portalErrorPage(req: FastifyRequest, reply: FastifyReply, status: number, what?: 'csrf', detail?: string): FastifyReply {
  const { t } = portalState(req);
  const [title, text] =
    what === 'csrf'
      ? [t.csrfTitle, t.csrfText]
      : status === 403
        ? [t.forbiddenTitle, detail ?? t.invalidInput]
        : status === 404
          ? [t.notFoundTitle, t.notFoundText]
          : status >= 500
            ? [t.errorTitle, detail ?? t.internalError]
            : [t.errorTitle, detail ?? t.invalidInput];
  const body = html`<h1>${title}</h1><p>${text}</p><p><a href="/portal">${t.back}</a></p>`;
  return reply.code(status).type('text/html; charset=utf-8').send(portalPage(req, { title, body }).text);
}

/** Sends a whole page with status 200 (or another). */
export function sendPage(reply: FastifyReply, page: { text: string }, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page.text);
}
