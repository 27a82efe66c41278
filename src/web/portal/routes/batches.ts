import type { FastifyInstance, FastifyRequest } from 'fastify';
import { loadBatchSummary, summarise, type BatchSummary } from '../../../batches/batch-summary.ts';
import { listBatches } from '../../../batches/list-batches.ts';
import { batchResultPages } from '../../../batches/batch-results.ts';
import { writeResults } from '../../../batches/write-batch-results.ts';
import { BATCH_MEDIA_TYPES, BatchStatus, ROW_STATUSES } from '../../../batches/batch-status.ts';
import { html } from '../../admin/html.ts';
import { formatDateTime, formatMoney } from '../../admin/format.ts';
import { portalPage, scrollTable } from '../layout.ts';
import { accountIdOf, portalState, type PortalDeps } from '../portal-context.ts';
import { portalErrorPage, sendPage } from '../error-page.ts';

/** What the progress script reads (static/portal.js): no codes, no addresses, just counts. */
export function batchStatusJson(s: BatchSummary) {
  return {
    id: s.batch.id,
    status: s.batch.status,
    progress: Math.floor(s.progress * 100),
    completed: s.batch.status === BatchStatus.completed,
    counts: s.counts,
    totalRows: Number(s.batch.total_rows),
  };
}

function batchView(req: FastifyRequest, s: BatchSummary) {
  const { t, lang } = portalState(req);
  const { batch } = s;
  const completed = batch.status === BatchStatus.completed;
  const percent = Math.floor(s.progress * 100);
  return html`<h1>${t.batchTitle} ${batch.id}</h1>
<section id="batch" data-status-url="/portal/batches/${batch.id}/status.json" data-completed="${completed ? '1' : '0'}">
<dl class="facts">
  <dt>${t.batchCreated}</dt><dd>${formatDateTime(lang, Number(batch.created_at))}</dd>
  <dt>${t.batchStatus}</dt><dd id="batch-status">${t.batchStatusLabel[batch.status] ?? batch.status}</dd>
  <dt>${t.previewRows}</dt><dd>${Number(batch.total_rows)}</dd>
  <dt>${t.batchCharged}</dt><dd>${formatMoney(lang, Number(batch.charged_cents))} €</dd>
</dl>
<p><label for="batch-progress">${t.batchProgress}</label>
<progress id="batch-progress" max="100" value="${percent}">${percent}%</progress> <span id="batch-percent">${percent}%</span></p>
<p id="batch-message" role="status">${completed ? t.batchDone : t.batchRunning}</p>
<h2>${t.batchCounts}</h2>
<ul class="counts">${ROW_STATUSES.filter((k) => s.counts[k] > 0).map((k) => html`<li>${t.rowStatus[k]}: <strong>${s.counts[k]}</strong></li>`)}</ul>
${
  completed &&
  html`<h2>${t.batchDownloads}</h2>
<ul class="downloads">
  <li><a href="/portal/batches/${batch.id}/results.csv" data-format="csv" download>${t.batchDownloadCsv}</a></li>
  <li><a href="/portal/batches/${batch.id}/results.xlsx" data-format="xlsx" download>${t.batchDownloadXlsx}</a></li>
</ul>`
}
</section>`;
}

/** A batch's progress page, its JSON status for the script, its results, and the list of uploads. */
export function portalBatchRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { store } = deps.lookups;
  const load = (req: FastifyRequest, id: string) => loadBatchSummary(store.db, accountIdOf(req), id);

  app.get('/batches', async (req, reply) => {
    const { t, lang } = portalState(req);
    const rows = (await listBatches(store.reader, accountIdOf(req), { limit: 50 })).slice(0, 50);
    const items: BatchSummary[] = [];
    for (const b of rows) items.push(await summarise(store.reader, b));
    const body = html`<h1>${t.batchesTitle}</h1>
${
  items.length === 0
    ? html`<p>${t.batchesEmpty}</p>`
    : scrollTable(
        t.batchesTitle,
        html`<table>
<thead><tr><th scope="col">${t.batchTitle}</th><th scope="col">${t.batchCreated}</th><th scope="col">${t.previewRows}</th><th scope="col">${t.batchStatus}</th><th scope="col">${t.batchProgress}</th></tr></thead>
<tbody>${items.map((s) => html`<tr><td><a href="/portal/batches/${s.batch.id}">${s.batch.id}</a></td><td>${formatDateTime(lang, Number(s.batch.created_at))}</td><td>${Number(s.batch.total_rows)}</td><td>${t.batchStatusLabel[s.batch.status] ?? s.batch.status}</td><td>${Math.floor(s.progress * 100)}%</td></tr>`)}</tbody>
</table>`,
      )
}`;
    return sendPage(reply, portalPage(req, { title: t.batchesTitle, body, section: 'batches' }));
  });

  app.get<{ Params: { id: string } }>('/batches/:id', async (req, reply) => {
    const s = await load(req, req.params.id);
    if (!s) return portalErrorPage(req, reply, 404);
    const { t } = portalState(req);
    const running = s.batch.status !== BatchStatus.completed;
    // Without JavaScript the page reloads itself while the lookups run; with it, portal.js polls the JSON status.
    const head = running ? html`<noscript><meta http-equiv="refresh" content="5"></noscript>\n` : null;
    return sendPage(
      reply,
      portalPage(req, {
        title: `${t.batchTitle} ${s.batch.id}`,
        body: batchView(req, s),
        section: 'batches',
        scripts: running ? ['/portal/assets/portal.js'] : [],
        head,
      }),
    );
  });

  app.get<{ Params: { id: string } }>('/batches/:id/status.json', async (req, reply) => {
    const s = await load(req, req.params.id);
    if (!s) return reply.code(404).type('application/json').send({ error: 'not_found' });
    return reply.type('application/json').send(batchStatusJson(s));
  });

  app.get<{ Params: { id: string; format: string } }>('/batches/:id/results.:format', async (req, reply) => {
    const format = req.params.format;
    if (format !== 'csv' && format !== 'xlsx') return portalErrorPage(req, reply, 404);
    const s = await load(req, req.params.id);
    if (!s) return portalErrorPage(req, reply, 404);
    const columns = JSON.parse(s.batch.input_columns) as string[];
    const body = writeResults(format, { columns, pages: batchResultPages(store, s.batch.id, columns.length), delimiter: s.batch.csv_delimiter ?? undefined });
    return reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : BATCH_MEDIA_TYPES.xlsx)
      .header('content-disposition', `attachment; filename="risultati-${s.batch.id}.${format}"`)
      .send(body);
  });
}
