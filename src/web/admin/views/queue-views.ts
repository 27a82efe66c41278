import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.ts';
import { csrfField } from '../layout.ts';
import { stateOf } from '../admin-context.ts';
import { formatDateTime, formatDuration, formatTime } from '../format.ts';
import type { WaitingRequest } from '../../../operators/list-operator-queue.ts';
import type { OperatorClaim } from '../../../operators/claim-operator-request.ts';
import { OPERATOR_KINDS } from '../../../operators/answer-operator-request.ts';
import type { AttemptsTable, RequestsTable } from '../../../store/schema.ts';
import { requestKindName, sourceName } from '../labels.ts';

export interface QueueView {
  rows: WaitingRequest[];
  held: (OperatorClaim & { code: string }) | null;
  usernames: Map<string, string>;
  now: number;
}

/** The waiting requests, oldest first; "claim the next one" has the focus, so Enter starts work. */
export function queueList(req: FastifyRequest, v: QueueView): SafeHtml {
  const { t, lang } = stateOf(req);
  const claimNext = html`<form method="post" action="/admin/queue/claim" class="inline">${csrfField(req)}
    <button type="submit" accesskey="p"${!v.held && v.rows.length > 0 && ' autofocus'}>${t.claimNext}</button></form>`;
  const heldBox =
    v.held &&
    html`<p class="callout">${t.youHold(v.held.code)}
    <a href="/admin/queue/${v.held.jobId}" class="button" autofocus>${t.continueWork}</a></p>`;
  const table =
    v.rows.length === 0
      ? html`<p>${t.queueEmpty}</p>`
      : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t.code}</th><th scope="col">${t.account}</th><th scope="col">${t.waitingSince}</th><th scope="col">${t.waitingFor}</th><th scope="col">${t.state}</th><th scope="col"><span class="visually-hidden">${t.claim}</span></th></tr></thead>
<tbody>${v.rows.map((r) => {
          const who = r.claimedBy ? (v.usernames.get(r.claimedBy) ?? r.claimedBy) : null;
          return html`<tr>
<td><code>${r.code}</code> <span class="muted">${requestKindName(t, r.kind)}</span></td>
<td><a href="/admin/accounts/${r.accountId}">${r.accountName}</a></td>
<td>${formatDateTime(lang, r.waitingSince)}</td>
<td>${formatDuration(lang, v.now - r.waitingSince)}</td>
<td>${who ? t.claimedBy(who, formatTime(lang, r.lockedUntil!)) : t.free}</td>
<td>${!who && !v.held && html`<form method="post" action="/admin/queue/claim" class="inline">${csrfField(req)}<input type="hidden" name="jobId" value="${r.jobId}"><button type="submit" class="small">${t.claim}</button></form>`}</td>
</tr>`;
        })}</tbody></table></div>`;
  return html`<h1>${t.queuePageTitle}</h1>
<p>${t.queueIntro}</p>
${heldBox}
${!v.held && v.rows.length > 0 && html`<p>${claimNext}</p>`}
${table}
<p class="hint">${t.keyboardHint}</p>`;
}

export interface WorkView {
  claim: OperatorClaim;
  request: Pick<RequestsTable, 'id' | 'code' | 'kind' | 'reference' | 'created_at' | 'account_id'>;
  accountName: string;
  attempts: AttemptsTable[];
  /** What the person typed, when the form comes back with an error. */
  entered?: { pec?: string; kind?: string; note?: string };
}

/** One claimed request: the PEC field has the focus, Enter answers; other actions by access key. */
export function workPage(req: FastifyRequest, v: WorkView): SafeHtml {
  const { t, lang } = stateOf(req);
  const action = `/admin/queue/${v.claim.jobId}`;
  const entered = v.entered ?? {};
  return html`<h1>${t.workTitle(v.request.code)}</h1>
<dl class="facts">
  <dt>${t.code}</dt><dd><code>${v.request.code}</code> (${requestKindName(t, v.request.kind)})</dd>
  <dt>${t.account}</dt><dd><a href="/admin/accounts/${v.request.account_id}">${v.accountName}</a></dd>
  <dt>${t.reference}</dt><dd>${v.request.reference ?? '–'}</dd>
  <dt>${t.waitingSince}</dt><dd>${formatDateTime(lang, v.claim.waitingSince)}</dd>
</dl>
<p class="callout">${t.leaseUntil(formatTime(lang, v.claim.lockedUntil))}</p>
<section aria-labelledby="found-h" class="panel">
<h2 id="found-h">${t.answerFound}</h2>
<form method="post" action="${action}/answer" class="stack">${csrfField(req)}
  <input type="hidden" name="outcome" value="found">
  <div class="field"><label for="pec">${t.pec}</label>
  <input type="text" id="pec" name="pec" inputmode="email" autocomplete="off" spellcheck="false" required maxlength="254" value="${entered.pec ?? ''}" autofocus></div>
  <div class="field"><label for="kind">${t.addressKind}</label>
  <select id="kind" name="kind">${OPERATOR_KINDS.map((k) => html`<option value="${k}"${entered.kind === k && ' selected'}>${t.kinds[k]}</option>`)}</select></div>
  <div class="field"><label for="note-found">${t.note}</label>
  <input type="text" id="note-found" name="note" maxlength="500" value="${entered.note ?? ''}"></div>
  <button type="submit" accesskey="r">${t.answerFound}</button>
</form>
</section>
<section aria-labelledby="notfound-h" class="panel">
<h2 id="notfound-h">${t.answerNotFound}</h2>
<form method="post" action="${action}/answer" class="stack">${csrfField(req)}
  <input type="hidden" name="outcome" value="not_found">
  <div class="field"><label for="note-notfound">${t.note}</label>
  <input type="text" id="note-notfound" name="note" maxlength="500"></div>
  <button type="submit" accesskey="t">${t.answerNotFound}</button>
</form>
</section>
<form method="post" action="${action}/release" class="inline">${csrfField(req)}
  <button type="submit" class="secondary" accesskey="l">${t.release}</button> <span class="hint">${t.releaseHint}</span>
</form>
<h2>${t.previousAttempts}</h2>
${attemptsTable(req, v.attempts)}
<p class="hint">${t.keyboardHint}</p>`;
}

export function attemptsTable(req: FastifyRequest, attempts: AttemptsTable[]): SafeHtml {
  const { t, lang } = stateOf(req);
  if (attempts.length === 0) return html`<p>${t.noResults}</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t.startedAt}</th><th scope="col">${t.source}</th><th scope="col">${t.outcomeLabel}</th><th scope="col">${t.duration}</th><th scope="col">${t.error}</th></tr></thead>
<tbody>${attempts.map((a) => html`<tr><td>${formatDateTime(lang, Number(a.started_at))}</td><td>${sourceName(t, a.source)}</td><td>${t.attemptOutcome[a.outcome]}</td><td>${formatDuration(lang, Number(a.finished_at) - Number(a.started_at))}</td><td>${a.error ?? ''}</td></tr>`)}</tbody>
</table></div>`;
}
