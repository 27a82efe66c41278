import type { FastifyInstance, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { requestsPerHour } from '../../../dashboard/requests-per-hour.ts';
import { answerTimes } from '../../../dashboard/answer-times.ts';
import { sourceHealth } from '../../../dashboard/source-health.ts';
import { accountActivity, activityTotals } from '../../../dashboard/account-activity.ts';
import { lowBalanceAccounts } from '../../../dashboard/low-balance.ts';
import { queueDepth } from '../../../queue/queue-depth.ts';
import { operatorQueueDepth } from '../../../operators/list-operator-queue.ts';
import { cell, euroIt } from '../../../billing/statement-csv.ts';
import { parseEuro } from '../../../resources/money.ts';
import { page } from '../layout.ts';
import { param, stateOf, type AdminDeps } from '../admin-context.ts';
import { ACTIVITY_ROWS, dashboardPage } from '../views/dashboard-view.ts';
import { watchCounts } from '../../../watches/list-watches.ts';
import { readRange, type RangeResult } from '../dashboard-range.ts';
import { errorPage } from '../error-page.ts';

/** Low-balance accounts listed on the dashboard (the page says how many more there are). */
const LOW_BALANCE_ROWS = 100;

/** /admin: the last 24 or 48 hours, or a period of days, at a glance; charts drawn by dashboard.js with uPlot. */
export function dashboardRoutes(app: FastifyInstance, deps: AdminDeps): void {
  function rangeOf(req: FastifyRequest, now: number): RangeResult {
    return readRange({ hours: param(req, 'hours'), range: param(req, 'range'), from: param(req, 'from'), to: param(req, 'to') }, now, stateOf(req).t);
  }

  app.get('/', async (req, reply) => {
    const { t } = stateOf(req);
    const now = deps.clock.now();
    const asked = rangeOf(req, now);
    // A wrong period is shown on the form, with what was typed, above the default 24 hours.
    const result = asked.ok ? asked : readRange({ hours: '', range: '', from: '', to: '' }, now, t);
    if (!result.ok) throw new Error('the default range is always valid');
    const range = result.range;
    const belowText = param(req, 'below');
    const below = belowText === '' ? deps.lowBalanceCents : parseEuro(belowText);
    const errors = [...(asked.ok ? [] : [...asked.errors, t.rangeInvalidShown]), ...(below === null ? [t.invalidThreshold] : [])];
    const db = deps.store.db;
    const [series, times, sources, queues, waiting, watches, activity, low] = await Promise.all([
      requestsPerHour(db, range.timeline),
      answerTimes(db, range.timeline),
      sourceHealth(db, range.since, range.until),
      queueDepth(db, now),
      operatorQueueDepth(db),
      watchCounts(db, range.since, range.until),
      accountActivity(db, range.since, range.until),
      lowBalanceAccounts(db, { belowCents: below ?? deps.lowBalanceCents, now, limit: LOW_BALANCE_ROWS }),
    ]);
    const all = param(req, 'all') === '1';
    const body = dashboardPage(req, {
      range,
      form: asked.ok ? { from: range.from, to: range.to } : { from: asked.from, to: asked.to },
      errors,
      rangeInvalid: !asked.ok,
      belowText: below === null ? belowText : null,
      now,
      series,
      times,
      sources,
      queues,
      waiting,
      watches,
      activity: { rows: all ? activity : activity.slice(0, ACTIVITY_ROWS), total: activity.length, totals: activityTotals(activity), all },
      low: { belowCents: below ?? deps.lowBalanceCents, ...low },
    });
    return reply
      .code(errors.length > 0 ? 400 : 200)
      .type('text/html; charset=utf-8')
      .send(
        page(req, {
          title: t.dashboardTitle,
          section: 'dashboard',
          body,
          styles: ['/admin/assets/uPlot.min.css'],
          scripts: ['/admin/assets/uPlot.iife.min.js', '/admin/assets/dashboard.js'],
        }).text,
      );
  });

  // The per-account table of the period, every row and the totals, for a spreadsheet.
  app.get('/dashboard/accounts.csv', async (req, reply) => {
    const result = rangeOf(req, deps.clock.now());
    if (!result.ok) return errorPage(req, reply, 400, undefined, result.errors.join(' '));
    const { range } = result;
    const rows = await accountActivity(deps.store.db, range.since, range.until);
    const totals = activityTotals(rows);
    const header = ['account_id', 'account', 'fatturazione', 'richieste', 'trovate', 'non_trovate', 'cancellate', 'ricavi_centesimi', 'ricavi_euro'];
    const line = (id: string, name: string, mode: string, r: typeof totals) => [
      id,
      cell(name),
      mode,
      String(r.requests),
      String(r.found),
      String(r.notFound),
      String(r.cancelled),
      String(r.revenueCents),
      euroIt(r.revenueCents),
    ];
    const lines = [...rows.map((r) => line(r.accountId, r.name, r.billingMode, r)), line('', 'totale', '', totals)];
    const csv = '\ufeff' + stringify([header, ...lines], { delimiter: ';', record_delimiter: '\r\n' });
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="account-${range.from}-${range.to}.csv"`).send(csv);
  });
}
