import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAccount, getAccount, topUp } from '../../../accounts/accounts.ts';
import { addApiKey, findApiKey, listApiKeys, revokeApiKey } from '../../../accounts/api-keys.ts';
import { updateAccount } from '../../../accounts/update-account.ts';
import { searchAccountPage } from '../../../accounts/search-accounts.ts';
import { balanceOf } from '../../../billing/balance.ts';
import { recentLedger } from '../../../billing/recent-ledger.ts';
import { usageStatement } from '../../../billing/usage-statement.ts';
import { statementCsv } from '../../../billing/statement-csv.ts';
import { parseEuro } from '../../../resources/money.ts';
import { page } from '../layout.ts';
import { auditBy, field, FormError, param, stateOf, type AdminDeps } from '../admin-context.ts';
import { accountListPage, accountPage, formValues, newAccountPage, type EnteredForm } from '../views/account-views.ts';
import { ErrorCode, isCercapecError } from '../../../errors.ts';
import { formatMoney, romeMonth } from '../format.ts';
import { errorPage } from '../error-page.ts';
import { confirmPage } from '../views/confirm-view.ts';
import { setFlash, takeFlash } from '../../../users/session-flash.ts';
import { BillingMode } from '../../../billing/billing-mode.ts';
import { AccountStatus } from '../../../accounts/account-status.ts';
import { billingDetailsOf, parseBillingDetails, setBillingDetails, statementHeader } from '../../../accounts/billing-details.ts';
import { billingInput } from '../views/billing-view.ts';

/** Accounts per page of the list. */
export const ACCOUNTS_PAGE = 50;

const ADMIN = { config: { access: 'admin' as const } };
type WithId = { Params: { id: string } };

/** Euro typed in a form ("12,50", "12.5", "-3") as cents; `optional`: empty is null. */
function euros(text: string, error: 'invalidAmount' | 'invalidPrice' | 'invalidLimit', optional = false): number | null {
  if (optional && text === '') return null;
  const cents = parseEuro(text);
  if (cents === null) throw new FormError(error);
  return cents;
}

function nonNegative(cents: number | null, error: 'invalidAmount' | 'invalidPrice' | 'invalidLimit'): number | null {
  if (cents !== null && cents < 0) throw new FormError(error);
  return cents;
}

/** Accounts: search, create, terms, top-ups and adjustments, keys, ledger, monthly statement. */
export function accountRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, clock } = deps;

  async function sendAccount(
    req: FastifyRequest,
    reply: FastifyReply,
    id: string,
    extra: { newKey?: string; notice?: string | null; error?: string; entered?: EnteredForm; status?: number } = {},
  ) {
    const account = await getAccount(store, id);
    if (!account) return errorPage(req, reply, 404);
    const month = /^\d{4}-\d{2}$/.test(param(req, 'month')) ? param(req, 'month') : romeMonth(clock.now());
    const [balanceCents, keys, ledger, statement] = await Promise.all([
      balanceOf(store.db, id),
      listApiKeys(store.db, id),
      recentLedger(store.db, id, 100),
      usageStatement(store.db, id, month).catch(() => null),
    ]);
    const body = accountPage(req, { account, balanceCents, keys, ledger, month, statement, newKey: extra.newKey, entered: extra.entered });
    return reply
      .code(extra.status ?? 200)
      .type('text/html; charset=utf-8')
      .send(page(req, { title: account.name, section: 'accounts', body, notice: extra.notice, error: extra.error }).text);
  }

  app.get('/accounts', async (req, reply) => {
    const q = param(req, 'q');
    const pageNo = /^[1-9]\d{0,5}$/.test(param(req, 'page')) ? Number(param(req, 'page')) : 1;
    const result = await searchAccountPage(store.db, q, ACCOUNTS_PAGE, (pageNo - 1) * ACCOUNTS_PAGE);
    const body = accountListPage(req, q, result, { page: pageNo, size: ACCOUNTS_PAGE });
    return reply.type('text/html; charset=utf-8').send(page(req, { title: stateOf(req).t.accountsTitle, section: 'accounts', body }).text);
  });

  app.get('/accounts/new', ADMIN, async (req, reply) =>
    reply.type('text/html; charset=utf-8').send(page(req, { title: stateOf(req).t.newAccount, section: 'accounts', body: newAccountPage(req) }).text),
  );

  app.post('/accounts', ADMIN, async (req, reply) => {
    const problem = await formProblem(req, () => createFromForm(req, reply));
    if (!problem) return reply;
    // Back on the same form, with what was typed and the reason.
    const body = newAccountPage(req, formValues(req.body));
    return reply
      .code(400)
      .type('text/html; charset=utf-8')
      .send(page(req, { title: stateOf(req).t.newAccount, section: 'accounts', body, error: problem }).text);
  });

  async function createFromForm(req: FastifyRequest, reply: FastifyReply) {
    const name = field(req.body, 'name');
    if (!name) throw new FormError('nameRequired');
    const { account, key } = await createAccount(
      store,
      clock.now(),
      {
        name,
        billingMode: field(req.body, 'billing_mode') === BillingMode.postpaid ? BillingMode.postpaid : BillingMode.prepaid,
        priceCents: nonNegative(euros(field(req.body, 'price'), 'invalidPrice'), 'invalidPrice')!,
        creditLimitCents: nonNegative(euros(field(req.body, 'credit_limit'), 'invalidLimit', true), 'invalidLimit'),
        initialCreditCents: nonNegative(euros(field(req.body, 'opening') || '0', 'invalidAmount'), 'invalidAmount')!,
        operatorFallback: field(req.body, 'operator_fallback') === '1',
      },
      { audit: auditBy(req) },
    );
    // Redirected (a reload must not create a second account); the key waits in the session,
    // never in a URL, and is shown once by the page below.
    await setFlash(store.db, stateOf(req).sessionId!, { newKey: { accountId: account.id, key: key.key } });
    return reply.redirect(`/admin/accounts/${account.id}?done=created`, 303);
  }

  /** Runs a form's action; a mistake in the form comes back as its message (to show on that form), anything else is thrown on. */
  async function formProblem(req: FastifyRequest, action: () => Promise<unknown>): Promise<string | null> {
    try {
      await action();
      return null;
    } catch (error) {
      if (error instanceof FormError) return stateOf(req).t[error.messageKey] as string;
      if (isCercapecError(error, ErrorCode.invalidArgument)) return error.message;
      throw error;
    }
  }

  /** A failed form of the account page: that page again, with the reason and what was typed. */
  async function formAgain(req: FastifyRequest<WithId>, reply: FastifyReply, form: EnteredForm['form'], problem: string) {
    return sendAccount(req, reply, req.params.id, { error: problem, entered: { form, values: formValues(req.body) }, status: 400 });
  }

  app.get<WithId>('/accounts/:id', async (req, reply) => {
    const { t } = stateOf(req);
    const done = param(req, 'done');
    const notice =
      done === 'terms'
        ? t.termsSaved
        : done === 'billing'
          ? t.billingSaved
          : done === 'revoked'
            ? t.keyRevoked2
            : done === 'created'
              ? t.accountCreated
              : done === 'key'
                ? t.keyCreated
                : done === 'topup'
                  ? t.topupDone(formatMoney(stateOf(req).lang, await balanceOf(store.db, req.params.id)))
                  : null;
    const flash = await takeFlash(store.db, stateOf(req).sessionId!, (f) => f.newKey?.accountId === req.params.id);
    return sendAccount(req, reply, req.params.id, { notice, newKey: flash?.newKey?.key });
  });

  app.post<WithId>('/accounts/:id', ADMIN, async (req, reply) => {
    if (!(await getAccount(store, req.params.id))) return errorPage(req, reply, 404);
    const problem = await formProblem(req, () => saveTerms(req));
    return problem ? formAgain(req, reply, 'terms', problem) : reply.redirect(`/admin/accounts/${req.params.id}?done=terms`, 303);
  });

  async function saveTerms(req: FastifyRequest<WithId>) {
    const name = field(req.body, 'name');
    if (!name) throw new FormError('nameRequired');
    await updateAccount(
      store,
      req.params.id,
      clock.now(),
      {
        name,
        billingMode: field(req.body, 'billing_mode') === BillingMode.postpaid ? BillingMode.postpaid : BillingMode.prepaid,
        priceCents: nonNegative(euros(field(req.body, 'price'), 'invalidPrice'), 'invalidPrice')!,
        creditLimitCents: nonNegative(euros(field(req.body, 'credit_limit'), 'invalidLimit', true), 'invalidLimit'),
        status: field(req.body, 'status') === AccountStatus.disabled ? AccountStatus.disabled : AccountStatus.active,
        operatorFallback: field(req.body, 'operator_fallback') === '1',
        watchPriceCents: nonNegative(euros(field(req.body, 'watch_price'), 'invalidPrice', true), 'invalidPrice'),
        verificationPriceCents: nonNegative(euros(field(req.body, 'verification_price'), 'invalidPrice', true), 'invalidPrice'),
      },
      auditBy(req),
    );
  }

  app.post<WithId>('/accounts/:id/billing', ADMIN, async (req, reply) => {
    if (!(await getAccount(store, req.params.id))) return errorPage(req, reply, 404);
    const parsed = parseBillingDetails(billingInput(formValues(req.body)));
    if ('problem' in parsed) return formAgain(req, reply, 'billing', stateOf(req).t.billingProblems[parsed.problem]);
    await setBillingDetails(store, req.params.id, clock.now(), parsed.details, auditBy(req));
    return reply.redirect(`/admin/accounts/${req.params.id}?done=billing#h-billing`, 303);
  });

  app.post<WithId>('/accounts/:id/topup', ADMIN, async (req, reply) => {
    if (!(await getAccount(store, req.params.id))) return errorPage(req, reply, 404);
    const problem = await formProblem(req, async () => {
      const cents = euros(field(req.body, 'amount'), 'invalidAmount')!;
      if (cents === 0) throw new FormError('invalidAmount');
      const reason = field(req.body, 'reason');
      if (!reason) throw new FormError('reasonRequired');
      await topUp(store, req.params.id, cents, clock.now(), reason.slice(0, 200), auditBy(req));
    });
    return problem ? formAgain(req, reply, 'topup', problem) : reply.redirect(`/admin/accounts/${req.params.id}?done=topup`, 303);
  });

  app.post<WithId>('/accounts/:id/keys', ADMIN, async (req, reply) => {
    if (!(await getAccount(store, req.params.id))) return errorPage(req, reply, 404);
    const key = await addApiKey(store, req.params.id, clock.now(), { label: field(req.body, 'label').slice(0, 100) || undefined, audit: auditBy(req) });
    await setFlash(store.db, stateOf(req).sessionId!, { newKey: { accountId: req.params.id, key: key.key } });
    return reply.redirect(`/admin/accounts/${req.params.id}?done=key`, 303);
  });

  // Revoking is asked first (GET: a page with the one form that does it): never one click.
  app.get<{ Params: { id: string; keyId: string } }>('/accounts/:id/keys/:keyId/revoke', ADMIN, async (req, reply) => {
    const { t } = stateOf(req);
    const account = await getAccount(store, req.params.id);
    const key = account && (await findApiKey(store.db, account.id, req.params.keyId));
    if (!account || !key) return errorPage(req, reply, 404);
    const back = `/admin/accounts/${account.id}`;
    if (key.revoked_at !== null) return reply.redirect(`${back}?done=revoked`, 303);
    const body = confirmPage(req, {
      title: t.revokeTitle(key.key_prefix),
      text: t.revokeText(account.name),
      action: `${back}/keys/${key.id}/revoke`,
      button: t.revokeConfirm,
      backHref: back,
    });
    return reply.type('text/html; charset=utf-8').send(page(req, { title: t.revokeTitle(key.key_prefix), section: 'accounts', body }).text);
  });

  app.post<{ Params: { id: string; keyId: string } }>('/accounts/:id/keys/:keyId/revoke', ADMIN, async (req, reply) => {
    const { id: accountId, keyId } = req.params;
    // A form without the confirmation step (an old page, a stray click) only leads to it, which
    // answers 404 for a key that is not this account's.
    if (field(req.body, 'confirm') !== '1')
      return reply.redirect(`/admin/accounts/${encodeURIComponent(accountId)}/keys/${encodeURIComponent(keyId)}/revoke`, 303);
    // Another account's key or an unknown one: a typed error, answered 404 by the plugin.
    await revokeApiKey(store, { accountId, keyId }, clock.now(), auditBy(req));
    return reply.redirect(`/admin/accounts/${req.params.id}?done=revoked`, 303);
  });

  app.get<WithId>('/accounts/:id/statement.csv', async (req, reply) => {
    const account = await getAccount(store, req.params.id);
    if (!account) return errorPage(req, reply, 404);
    // No month: the current one where the back office is (Europe/Rome), as on the account's page.
    const month = param(req, 'month') || romeMonth(clock.now());
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new FormError('invalidMonth');
    const csv = statementCsv(await usageStatement(store.db, account.id, month), statementHeader(account.name, billingDetailsOf(account)));
    const filename = `estratto-${account.id}-${month}.csv`;
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(csv);
  });
}
