import { codeHistory } from '../../../history/verify-address.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { cell } from '../../../billing/statement-csv.ts';
import { allRequests, searchRequests, type RequestFilter } from '../../../lookups/search-requests.ts';
import { cancelLookupById } from '../../../lookups/cancel-lookup.ts';
import { getAccount } from '../../../accounts/accounts.ts';
import { listAudit } from '../../../audit/list-audit.ts';
import { isPending, LookupStatus } from '../../../lookups/lookup-status.ts';
import { getRequest, requestDetail } from '../../../lookups/request-detail.ts';
import type { RequestStatus } from '../../../store/schema.ts';
import { page } from '../layout.ts';
import { auditBy, field, param, stateOf, type AdminDeps } from '../admin-context.ts';
import { requestDetailPage, requestSearchPage, type NameSearchView, type SearchForm } from '../views/request-views.ts';
import { searchNames } from '../../../search/search-names.ts';
import { isCercapecError } from '../../../errors.ts';
import { romeDayEnd, romeDayStart, TIME_ZONE } from '../format.ts';
import { errorPage } from '../error-page.ts';
import { confirmPage } from '../views/confirm-view.ts';

/** Rows of one CSV export: a bound on its memory and time. */
export const CSV_MAX_ROWS = 50_000;

function iso(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString();
}

function romeDay(ms: number): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

/** Requests: search, one request with every attempt, cancel with the protocol's rules. */
export function requestRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store } = deps;

  /** Back-office searches are the staff's, never charged to an account. */
  async function nameSearch(req: FastifyRequest, q: string): Promise<NameSearchView> {
    if (q.trim() === '') return { q, results: null, error: null };
    try {
      return { q, results: (await searchNames(store, q, { limit: 50 })).items, error: null };
    } catch (error) {
      if (isCercapecError(error, 'invalid_argument')) return { q, results: null, error: stateOf(req).t.nameSearchInvalid };
      throw error;
    }
  }

  function searchForm(req: FastifyRequest): SearchForm {
    return { code: param(req, 'code'), account: param(req, 'account'), status: param(req, 'status'), from: param(req, 'from'), to: param(req, 'to') };
  }

  function readFilter(req: FastifyRequest): RequestFilter {
    const form = searchForm(req);
    const status = (Object.values(LookupStatus) as string[]).includes(form.status) ? (form.status as RequestStatus) : undefined;
    // "to" is inclusive: up to the start of the next day in Rome.
    return { code: form.code, account: form.account, status, from: romeDayStart(form.from) ?? undefined, to: romeDayEnd(form.to) ?? undefined };
  }

  app.get('/requests', async (req, reply) => {
    const form = searchForm(req);
    const { code, account, status, from, to } = readFilter(req);
    const result = await searchRequests(store.db, { code, account, status, from, to, after: param(req, 'after'), before: param(req, 'before') });
    const kept = Object.fromEntries(Object.entries(form).filter(([, v]) => v !== ''));
    const links = {
      next: result.next ? `/admin/requests?${new URLSearchParams({ ...kept, after: result.next })}` : null,
      prev: result.prev ? `/admin/requests?${new URLSearchParams({ ...kept, before: result.prev })}` : null,
      csv: `/admin/requests.csv${Object.keys(kept).length ? `?${new URLSearchParams(kept)}` : ''}`,
    };
    const { t } = stateOf(req);
    const names = await nameSearch(req, param(req, 'name'));
    return reply
      .type('text/html; charset=utf-8')
      .send(page(req, { title: t.requestsTitle, section: 'requests', body: requestSearchPage(req, form, result, links, CSV_MAX_ROWS, names) }).text);
  });

  // The current filter as CSV, newest first, up to CSV_MAX_ROWS rows (built in memory: ~100 bytes a row).
  app.get('/requests.csv', async (req, reply) => {
    const filter = readFilter(req);
    const lines: string[][] = [];
    for await (const r of allRequests(store.db, filter, CSV_MAX_ROWS)) {
      lines.push([iso(r.createdAt), cell(r.code), r.kind, r.accountId, cell(r.accountName), r.status, r.via, iso(r.answeredAt), iso(r.deletedAt), r.id]);
    }
    const header = ['creata_il', 'codice', 'tipo', 'account_id', 'account', 'stato', 'canale', 'risposta_il', 'cancellata_il', 'richiesta'];
    const csv = '\ufeff' + stringify([header, ...lines], { delimiter: ';', record_delimiter: '\r\n' });
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="richieste-${romeDay(deps.clock.now())}.csv"`)
      .send(csv);
  });

  app.get<{ Params: { id: string } }>('/requests/:id', async (req, reply) => {
    const request = await getRequest(store.db, req.params.id);
    if (!request) return errorPage(req, reply, 404);
    const [account, { addresses, attempts, ledger }, history, timeline] = await Promise.all([
      getAccount(store, request.account_id),
      requestDetail(store.db, request.id),
      listAudit(store.db, { target: request.id }),
      codeHistory(store.db, request.code),
    ]);
    const { t } = stateOf(req);
    const notice = param(req, 'done') === 'cancelled' ? t.cancelled : null;
    const body = requestDetailPage(req, { request, accountName: account?.name ?? request.account_id, addresses, attempts, ledger, history, timeline });
    return reply.type('text/html; charset=utf-8').send(page(req, { title: t.requestTitle(request.code), section: 'requests', body, notice }).text);
  });

  // Cancelling is asked first (GET: a page with the one form that does it): never one click.
  app.get<{ Params: { id: string } }>('/requests/:id/cancel', async (req, reply) => {
    const { t } = stateOf(req);
    const request = await getRequest(store.db, req.params.id);
    if (!request) return errorPage(req, reply, 404);
    const back = `/admin/requests/${request.id}`;
    if (request.deleted_at !== null || !isPending(request.status)) return reply.redirect(back, 303);
    const body = confirmPage(req, {
      title: t.cancelTitle(request.code),
      text: t.cancelText,
      action: `${back}/cancel`,
      button: t.cancelConfirm,
      backHref: back,
    });
    return reply.type('text/html; charset=utf-8').send(page(req, { title: t.cancelTitle(request.code), section: 'requests', body }).text);
  });

  app.post<{ Params: { id: string } }>('/requests/:id/cancel', async (req, reply) => {
    const request = await getRequest(store.db, req.params.id);
    const account = request && (await getAccount(store, request.account_id));
    if (!request || !account) return errorPage(req, reply, 404);
    if (field(req.body, 'confirm') !== '1') return reply.redirect(`/admin/requests/${request.id}/cancel`, 303);
    await cancelLookupById(deps.lookups, account, request.id, auditBy(req));
    return reply.redirect(`/admin/requests/${request.id}?done=cancelled`, 303);
  });
}
