import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.ts';
import { csrfField } from '../layout.ts';
import { stateOf } from '../admin-context.ts';

export interface Confirmation {
  title: string;
  /** What will happen, in a sentence or two. */
  text: string;
  /** The POST that does it; the form adds confirm=1. */
  action: string;
  button: string;
  /** Where "keep it" goes back to. */
  backHref: string;
  /** Fields the form sends with the confirmation (a new password). */
  extra?: SafeHtml;
  /** What was wrong with them, when the form comes back. */
  error?: string | null;
}

/**
 * A step before something that cannot be undone (revoking a key, cancelling a request): a page
 * of its own with the one form that does it, so one click never does it, and no script is needed.
 */
export function confirmPage(req: FastifyRequest, c: Confirmation): SafeHtml {
  const { t } = stateOf(req);
  return html`<h1>${c.title}</h1>
<p>${c.text}</p>
${c.error && html`<p class="problem" role="alert">${c.error}</p>`}
<form method="post" action="${c.action}" class="confirm-actions">${csrfField(req)}
  <input type="hidden" name="confirm" value="1">
  ${c.extra}
  <button type="submit" class="danger">${c.button}</button>
  <a href="${c.backHref}" autofocus>${t.keepIt}</a>
</form>`;
}
