import type { FastifyReply, FastifyRequest } from 'fastify';
import { html } from './html.ts';
import { page } from './layout.ts';
import { stateOf } from './admin-context.ts';

/**
 * "Back" goes to the back-office page the person came from (Referer, same host only), not
 * always to the dashboard; /admin when there is none.
 */
function backHref(req: FastifyRequest): string {
  const referer = req.headers.referer;
  if (!referer) return '/admin';
  try {
    const url = new URL(referer);
    const here = req.url;
    const path = `${url.pathname}${url.search}`;
    return url.origin === new URL(`${req.protocol}://${req.host}`).origin && url.pathname.startsWith('/admin') && path !== here ? path : '/admin';
  } catch {
    return '/admin';
  }
}

/** A whole page for a refused or failed request, in the person's language, with the status. */
export function errorPage(req: FastifyRequest, reply: FastifyReply, status: number, what?: 'csrf', detail?: string): FastifyReply {
  const { t } = stateOf(req);
  const [title, text] =
    what === 'csrf'
      ? [t.csrfTitle, t.csrfText]
      : status === 403
        ? [t.forbiddenTitle, t.forbiddenText]
        : status === 404
          ? [t.notFoundTitle, t.notFoundText]
          : status >= 500
            ? [t.errorTitle, t.internalError]
            : [t.invalidInput, detail ?? t.invalidInput];
  const body = html`<h1>${title}</h1><p>${text}</p><p><a href="${backHref(req)}">${t.back}</a></p>`;
  return reply.code(status).type('text/html; charset=utf-8').send(page(req, { title, body }).text);
}
