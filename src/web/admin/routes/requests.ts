import { codeHistory } from '../../../history/verify-address.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { searchRequests } from '../../../lookups/search-requests.ts';
import { cancelLookupById } from '../../../lookups/cancel-lookup.ts';
import { getAccount } from '../../../accounts/accounts.ts';
import { listAudit } from '../../../audit/list-audit.ts';
import { LookupStatus } from '../../../lookups/lookup-status.ts';
import { getRequest, requestDetail } from '../../../lookups/request-detail.ts';
import type { RequestStatus } from '../../../store/schema.ts';
import { page } from '../layout.ts';
import { auditBy, param, stateOf, type AdminDeps } from '../admin-context.ts';
import { requestDetailPage, requestSearchPage, type NameSearchView } from '../views/request-views.ts';
import { searchNames } from '../../../search/search-names.ts';
import { isCercapecError } from '../../../errors.ts';
import { romeDayEnd, romeDayStart } from '../format.ts';
import { errorPage } from '../error-page.ts';

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

  app.get('/requests', async (req, reply) => {
    const form = { code: param(req, 'code'), account: param(req, 'account'), status: param(req, 'status'), from: param(req, 'from'), to: param(req, 'to') };
    const status = (Object.values(LookupStatus) as string[]).includes(form.status) ? (form.status as RequestStatus) : undefined;
    const from = romeDayStart(form.from) ?? undefined;
    // "to" is inclusive: up to the start of the next day in Rome.
    const to = romeDayEnd(form.to) ?? undefined;
    const { rows, next } = await searchRequests(store.db, { code: form.code, account: form.account, status, from, to, after: param(req, 'after') });
    const nextUrl = next ? `/admin/requests?${new URLSearchParams({ ...form, after: next })}` : null;
    const { t } = stateOf(req);
    const names = await nameSearch(req, param(req, 'name'));
    return reply.type('text/html; charset=utf-8').send(page(req, { title: t.requestsTitle, section: 'requests', body: requestSearchPage(req, form, rows, nextUrl, names) }).text);
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

  app.post<{ Params: { id: string } }>('/requests/:id/cancel', async (req, reply) => {
    const request = await getRequest(store.db, req.params.id);
    const account = request && (await getAccount(store, request.account_id));
    if (!request || !account) return errorPage(req, reply, 404);
    await cancelLookupById(deps.lookups, account, request.id, auditBy(req));
    return reply.redirect(`/admin/requests/${request.id}?done=cancelled`, 303);
  });
}
