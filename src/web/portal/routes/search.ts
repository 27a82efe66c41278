import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getAccount } from '../../../accounts/accounts.ts';
import { chargeSearch } from '../../../billing/charge-search.ts';
import { isCercapecError } from '../../../errors.ts';
import { searchNames, MAX_SEARCH_OFFSET, type NameResult } from '../../../search/search-names.ts';
import { parseQuery } from '../../../search/search-query.ts';
import { MAX_QUERY_LENGTH } from '../../../resources/search-schemas.ts';
import { html, type SafeHtml } from '../../admin/html.ts';
import { param } from '../../admin/admin-context.ts';
import { formatMoney } from '../../admin/format.ts';
import { portalPage, scrollTable } from '../layout.ts';
import { accountIdOf, portalState, type PortalDeps } from '../portal-context.ts';
import { sendPage } from '../error-page.ts';

const PAGE = 20;

/**
 * Search by name (issue #19), the API's search for the people of an account: public bodies and
 * the datasets of this account or of the whole installation, never another account's. Each
 * search (each page) is charged at the account's search price, like GET /v1/search; the page
 * says the price. A GET form: the session cookie is SameSite=Strict, so no other site can
 * make a logged-in browser run (and pay for) a search.
 */
export function portalSearchRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const { store, clock } = deps;

  app.get('/search', async (req, reply) => {
    const { t, lang } = portalState(req);
    const accountId = accountIdOf(req);
    const account = (await getAccount(store, accountId))!;
    const price = Number(account.search_price_cents);
    const q = param(req, 'q').slice(0, MAX_QUERY_LENGTH + 1);
    const province = param(req, 'province').trim().toUpperCase();
    const offset = Number(param(req, 'offset') || '0');
    let results: NameResult[] | null = null;
    let next: number | null = null;
    let error: string | null = null;
    let status = 200;
    if (q.trim() !== '') {
      try {
        if (!Number.isInteger(offset) || offset < 0 || offset > MAX_SEARCH_OFFSET) throw new PortalSearchRefusal(t.nameSearchInvalid, 400);
        if (province !== '' && !/^[A-Z]{2}$/.test(province)) throw new PortalSearchRefusal(t.nameSearchProvince, 400);
        // Bad input is refused before anything is charged.
        parseQuery(q);
        await chargeSearch(store, accountId, clock.now());
        const page = await searchNames(store, q, { province: province || undefined, limit: PAGE, offset, account: accountId });
        results = page.items;
        next = page.nextOffset;
      } catch (e) {
        if (e instanceof PortalSearchRefusal) [error, status] = [e.message, e.status];
        else if (isCercapecError(e, 'invalid_argument')) [error, status] = [t.nameSearchInvalid, 400];
        else if (isCercapecError(e, 'insufficient_credit')) [error, status] = [t.nameSearchNoCredit, 402];
        else throw e;
      }
    }
    const body = html`<h1>${t.nameSearchTitle}</h1>
<p>${t.nameSearchIntro}</p>
<p id="search-price">${price > 0 ? t.nameSearchPrice(`${formatMoney(lang, price)} €`) : t.nameSearchFree}</p>
<form method="get" action="/portal/search" class="inline-form" role="search" id="name-search">
  <label for="q">${t.nameSearchLabel}</label>
  <input type="search" id="q" name="q" value="${q}" maxlength="${MAX_QUERY_LENGTH}" autocomplete="off" spellcheck="false" aria-describedby="q-hint">
  <label for="province">${t.nameSearchProvinceLabel}</label>
  <input type="text" id="province" name="province" value="${province}" maxlength="2" size="3" autocomplete="off" autocapitalize="characters" spellcheck="false">
  <button type="submit">${t.nameSearchButton}</button>
</form>
<p class="hint" id="q-hint">${t.nameSearchHint}</p>
${error && html`<p class="problem" role="alert">${error}</p>`}
${results && resultsTable(req, q, results)}
${next !== null && html`<p><a id="search-next" href="${`/portal/search?${new URLSearchParams({ q, ...(province ? { province } : {}), offset: String(next) })}`}">${t.nameSearchNext}</a>${price > 0 && html` (${t.nameSearchNextPrice})`}</p>`}`;
    return sendPage(reply, portalPage(req, { title: t.nameSearchTitle, body, section: 'search' }), status);
  });
}

function resultsTable(req: FastifyRequest, q: string, results: NameResult[]): SafeHtml {
  const { t } = portalState(req);
  if (results.length === 0) return html`<p id="search-empty">${t.nameSearchEmpty}</p>`;
  return scrollTable(
    t.nameSearchResults(q),
    html`<table id="name-results">
<caption>${t.nameSearchResults(q)}</caption>
<thead><tr><th scope="col">${t.nameSearchName}</th><th scope="col">${t.lookupsCode}</th><th scope="col">${t.nameSearchPlace}</th><th scope="col">${t.lookupsPec}</th><th scope="col">${t.nameSearchSource}</th></tr></thead>
<tbody>${results.map(
      (r) => html`<tr>
<td>${r.name}</td>
<td><code>${r.code}</code>${r.ipaCode && html`<br><span class="hint">IPA ${r.ipaCode}</span>`}</td>
<td>${[r.place.address, r.place.postcode, r.place.province && `(${r.place.province})`].filter(Boolean).join(' ')}</td>
<td>${r.pecs.map((p, i) => html`${i > 0 && html`<br>`}${p.pec}`)}</td>
<td>${r.source.type === 'ipa' ? t.nameSearchIpa : r.source.name}</td>
</tr>`,
    )}</tbody></table>`,
  );
}

/** A refused search parameter, shown on the page with its status. */
class PortalSearchRefusal extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
