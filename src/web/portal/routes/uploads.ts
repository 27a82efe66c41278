import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { batchOfIdempotencyKey, createBatch } from '../../../batches/create-batch.ts';
import { BatchError } from '../../../batches/batch-error.ts';
import { getAccount } from '../../../accounts/accounts.ts';
import { isCercapecError, ErrorCode } from '../../../errors.ts';
import { html } from '../../admin/html.ts';
import { param, field } from '../../admin/admin-context.ts';
import { formatMoney } from '../../admin/format.ts';
import { portalCsrfField, portalPage, scrollTable } from '../layout.ts';
import { accountIdOf, portalState, type PortalDeps } from '../portal-context.ts';
import { portalErrorPage, sendPage } from '../error-page.ts';
import { findUpload, purgeUploads, readUpload, removeUpload, saveMeta, saveUpload, type UploadMeta } from '../upload-store.ts';
import { countUpload, previewUpload } from '../upload-preview.ts';

/** The Idempotency-Key a confirmation uses: confirming twice (a double click, a retry) makes one batch. */
const confirmKey = (uploadId: string) => `portal-upload:${uploadId}`;

function formatOf(filename: string, mimetype: string): UploadMeta['format'] | null {
  const name = filename.toLowerCase();
  if (name.endsWith('.xlsx') || mimetype === 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet') return 'xlsx';
  if (name.endsWith('.csv') || name.endsWith('.txt') || mimetype === 'text/csv') return 'csv';
  return null;
}

/**
 * Why a file was refused, in the customer's words: the batch code's reason (a stable code in the
 * redirect's query), never its English text nor anything else a link could carry.
 */
function refusal(req: FastifyRequest): string {
  const { t } = portalState(req);
  const reason = param(req, 'reason');
  return Object.hasOwn(t.refusals, reason) ? t.refusals[reason] : t.refusals.invalid;
}

const UPLOAD_ERRORS = ['missing', 'format', 'too_large', 'invalid', 'gone'] as const;

function uploadForm(req: FastifyRequest, maxBytes: number) {
  const { t, csrf } = portalState(req);
  const error = param(req, 'error');
  const message =
    error === 'missing'
      ? t.uploadMissing
      : error === 'format'
        ? t.uploadFormat
        : error === 'too_large'
          ? t.uploadTooLarge(Math.floor(maxBytes / 1048576))
          : error === 'gone'
            ? t.uploadGone
            : error === 'invalid'
              ? refusal(req)
              : null;
  // The CSRF token rides in the action's query: a multipart body is streamed to disk, not parsed before the guard.
  const body = html`<h1>${t.uploadTitle}</h1>
<p>${t.uploadIntro}</p>
<form id="batch-upload" method="post" action="/portal/uploads?_csrf=${encodeURIComponent(csrf)}" enctype="multipart/form-data" class="stack">
  <div class="field drop-zone" data-drop-zone>
    <label for="file">${t.uploadFile}</label>
    <p class="hint" id="file-hint">${t.uploadDrop}</p>
    <input type="file" id="file" name="file" required accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" aria-describedby="file-hint">
  </div>
  <button type="submit">${t.uploadButton}</button>
</form>`;
  return portalPage(req, {
    title: t.uploadTitle,
    body,
    section: 'upload',
    error: UPLOAD_ERRORS.includes(error as never) ? message : null,
    scripts: ['/portal/assets/portal.js'],
  });
}

/**
 * Upload → preview → confirm: the file is stored as it arrives, the preview reads its first
 * rows and counts it once per column choice, and the confirmation streams it into createBatch
 * (the API's own path: same parsing, limits, credit check and charges).
 */
export function portalUploadRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { maxBytes, maxRows, maxInflatedBytes } = deps.batch;
  /** Runs `read` holding an XLSX slot (CSV needs none); null when no slot came free in time. */
  async function withSlot<T>(meta: UploadMeta, read: () => Promise<T>): Promise<{ value: T } | null> {
    const release = meta.format === 'xlsx' ? await deps.xlsx.slots.acquire(deps.xlsx.waitMs) : () => {};
    if (!release) return null;
    try {
      return { value: await read() };
    } finally {
      release();
    }
  }

  app.get('/upload', async (req, reply) => sendPage(reply, uploadForm(req, maxBytes)));

  app.post('/uploads', async (req, reply) => {
    if (Number(req.headers['content-length']) > maxBytes + 64 * 1024) {
      reply.header('connection', 'close');
      return reply.redirect('/portal/upload?error=too_large', 303);
    }
    const file = req.isMultipart() ? await req.file() : undefined;
    if (!file?.filename) {
      file?.file.resume();
      return reply.redirect('/portal/upload?error=missing', 303);
    }
    const format = formatOf(file.filename, file.mimetype);
    if (!format) {
      file.file.resume();
      return reply.redirect('/portal/upload?error=format', 303);
    }
    await purgeUploads(deps.uploadDir);
    try {
      const meta = await saveUpload(
        deps.uploadDir,
        file.file,
        { accountId: accountIdOf(req), filename: file.filename.slice(0, 200), format, createdAt: deps.clock.now() },
        maxBytes,
      );
      return reply.redirect(`/portal/uploads/${meta.id}`, 303);
    } catch (error) {
      file.file.resume();
      if (error instanceof BatchError || (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        reply.header('connection', 'close');
        return reply.redirect('/portal/upload?error=too_large', 303);
      }
      throw error;
    }
  });

  app.get<{ Params: { id: string } }>('/uploads/:id', async (req, reply) => {
    const { t } = portalState(req);
    const accountId = accountIdOf(req);
    const meta = await findUpload(deps.uploadDir, req.params.id, accountId, deps.clock.now());
    if (!meta) return reply.redirect('/portal/upload?error=gone', 303);
    const wanted = param(req, 'column') || undefined;
    let preview: Awaited<ReturnType<typeof previewUpload>>;
    try {
      const read = await withSlot(meta, () => previewUpload(readUpload(deps.uploadDir, meta.id), meta.format, wanted, maxInflatedBytes));
      if (!read) return busy(reply);
      preview = read.value;
    } catch (error) {
      if (!(error instanceof BatchError)) throw error;
      if (wanted) return reply.redirect(`/portal/uploads/${meta.id}?error=column`, 303);
      await removeUpload(deps.uploadDir, meta.id);
      return reply.redirect(`/portal/upload?error=invalid&reason=${error.reason}`, 303);
    }
    const column = preview.codeColumn;
    let counts = column ? meta.counts?.[column] : undefined;
    if (column && !counts) {
      const read = await withSlot(meta, () => countUpload(readUpload(deps.uploadDir, meta.id), meta.format, column, maxRows, maxInflatedBytes));
      if (!read) return busy(reply);
      counts = read.value;
      await saveMeta(deps.uploadDir, { ...meta, counts: { ...meta.counts, [column]: counts } });
    }
    const account = (await getAccount(deps.store, accountId))!;
    const codeIndex = column ? preview.columns.indexOf(column) : -1;
    const error = param(req, 'error');
    const body = html`<h1>${t.previewTitle}</h1>
<p>${t.previewFile}: <strong>${meta.filename}</strong></p>
<form method="get" action="/portal/uploads/${meta.id}" class="stack narrow">
  <div class="field"><label for="column">${t.previewColumn}</label>
  <select id="column" name="column" aria-describedby="column-help">
    ${!column && html`<option value="" selected>–</option>`}
    ${preview.columns.map((c) => html`<option value="${c}"${c === column && ' selected'}>${c}</option>`)}
  </select>
  <p class="hint" id="column-help">${column ? t.previewColumnHelp : t.previewColumnNone}</p></div>
  <button type="submit" class="secondary">${t.previewApply}</button>
</form>
<h2>${t.previewFirstRows(preview.rows.length)}</h2>
${scrollTable(
  t.previewFirstRows(preview.rows.length),
  html`<table class="preview">
<thead><tr>${preview.columns.map((c, i) => html`<th scope="col"${i === codeIndex && ' class="code-column"'}>${c}${i === codeIndex && html` <span class="tag">(${t.previewCodeColumn})</span>`}</th>`)}</tr></thead>
<tbody>${preview.rows.map((r) => html`<tr>${preview.columns.map((_, i) => html`<td${i === codeIndex && ' class="code-column"'}>${r[i] ?? ''}</td>`)}</tr>`)}</tbody>
</table>`,
)}
${
  counts &&
  html`<dl class="facts">
  <dt>${t.previewRows}</dt><dd id="preview-rows">${counts.total}</dd>
  <dt>${t.previewValid}</dt><dd>${counts.valid}</dd>
  <dt>${t.previewInvalid}</dt><dd>${counts.invalid}</dd>
  <dt>${t.previewDistinct}</dt><dd>${counts.distinct}</dd>
  <dt>${t.previewPrice}</dt><dd id="preview-price">${formatMoney(portalState(req).lang, counts.distinct * account.price_cents)} €</dd>
</dl>
<p class="hint">${t.previewPriceNote}</p>`
}
${counts?.tooMany && html`<p class="problem" role="alert">${t.previewTooMany(maxRows)}</p>`}
${
  column &&
  !counts?.tooMany &&
  html`<form method="post" action="/portal/uploads/${meta.id}/confirm" class="inline">
  ${portalCsrfField(req)}<input type="hidden" name="column" value="${column}">
  <button type="submit" id="batch-confirm">${t.previewConfirm}</button>
</form>`
}
<form method="post" action="/portal/uploads/${meta.id}/cancel" class="inline">${portalCsrfField(req)}<button type="submit" class="secondary">${t.previewCancel}</button></form>`;
    const problem =
      error === 'credit' ? t.confirmNoCredit : error === 'busy' ? t.xlsxBusy : error === 'column' ? t.previewColumnNone : error ? refusal(req) : null;
    return sendPage(reply, portalPage(req, { title: t.previewTitle, body, section: 'upload', error: problem }));
  });

  app.post<{ Params: { id: string } }>('/uploads/:id/confirm', async (req, reply) => {
    const accountId = accountIdOf(req);
    const key = confirmKey(req.params.id);
    const meta = await findUpload(deps.uploadDir, req.params.id, accountId, deps.clock.now());
    if (!meta) {
      // Confirmed already (a second click after the first removed the file): show that batch.
      const done = await batchOfIdempotencyKey(deps.store, accountId, key);
      return reply.redirect(done ? `/portal/batches/${done}` : '/portal/upload?error=gone', 303);
    }
    const account = (await getAccount(deps.store, accountId))!;
    const column = field(req.body, 'column') || undefined;
    try {
      const created = await withSlot(meta, () =>
        createBatch(deps.lookups, {
          account,
          format: meta.format,
          body: readUpload(deps.uploadDir, meta.id),
          column,
          callbackUrl: null,
          idempotencyKey: key,
          maxRows,
          maxBytes,
          maxInflatedBytes,
        }),
      );
      if (!created) return reply.redirect(`/portal/uploads/${meta.id}?${new URLSearchParams({ ...(column ? { column } : {}), error: 'busy' })}`, 303);
      await removeUpload(deps.uploadDir, meta.id);
      return reply.redirect(`/portal/batches/${created.value.id}`, 303);
    } catch (error) {
      const credit = isCercapecError(error) && error.code === ErrorCode.insufficientCredit;
      if (!(error instanceof BatchError) && !credit) throw error;
      const query = new URLSearchParams({
        ...(column ? { column } : {}),
        error: credit ? 'credit' : 'invalid',
        ...(error instanceof BatchError ? { reason: error.reason } : {}),
      });
      return reply.redirect(`/portal/uploads/${meta.id}?${query}`, 303);
    }
  });

  /** Too many XLSX files being read right now: a page that says to retry (its reload is the retry). */
  function busy(reply: FastifyReply) {
    reply.header('retry-after', '5');
    return portalErrorPage(reply.request, reply, 503, undefined, portalState(reply.request).t.xlsxBusy);
  }

  app.post<{ Params: { id: string } }>('/uploads/:id/cancel', async (req, reply) => {
    const meta = await findUpload(deps.uploadDir, req.params.id, accountIdOf(req), deps.clock.now());
    if (meta) await removeUpload(deps.uploadDir, meta.id);
    return reply.redirect('/portal/upload', 303);
  });
}
