import type { FastifyRequest } from 'fastify';
import { html, jsonForScript, raw, type SafeHtml } from '../html.ts';
import { stateOf } from '../admin-context.ts';
import { formatDuration, formatMoney, formatTime, TIME_ZONE } from '../format.ts';
import { OUTCOMES, type RequestSeries } from '../../../dashboard/requests-per-hour.ts';
import type { AccountActivity } from '../../../dashboard/account-activity.ts';
import type { LowBalance } from '../../../dashboard/low-balance.ts';
import type { Timeline } from '../../../dashboard/timeline.ts';
import { PRESETS, type DashboardRange } from '../dashboard-range.ts';
import type { Lang } from '../i18n.ts';
import type { AnswerTimes } from '../../../dashboard/answer-times.ts';
import { ATTEMPT_OUTCOMES, type SourceHealth } from '../../../dashboard/source-health.ts';
import type { QueueDepth } from '../../../queue/queue-depth.ts';
import { sourceName } from '../labels.ts';

/** Accounts shown in the per-account table before "show all". */
export const ACTIVITY_ROWS = 20;

export interface DashboardView {
  range: DashboardRange;
  /** What the period form shows: the range's days, or what was typed when it was wrong. */
  form: { from: string; to: string };
  /** Mistakes in the query, shown above the form. */
  errors: string[];
  /** The period asked for was wrong (its fields are marked). */
  rangeInvalid: boolean;
  /** The threshold as typed when it was wrong (kept in its field); null otherwise. */
  belowText: string | null;
  now: number;
  series: RequestSeries;
  times: AnswerTimes;
  sources: SourceHealth[];
  queues: QueueDepth[];
  waiting: { waiting: number; oldestSince: number | null };
  /** Watches now, the codes they cover, and the events of the window. */
  watches: { watches: number; codes: number; events: number };
  activity: { rows: AccountActivity[]; total: number; totals: Omit<AccountActivity, 'accountId' | 'name' | 'billingMode'>; all: boolean };
  low: { belowCents: number; total: number; accounts: LowBalance[] };
}

/** Colours per outcome, readable on the light and the dark theme (dashboard.js draws with them). */
const COLORS: Record<string, string> = {
  found: '#2e8540',
  not_found: '#8a8f98',
  failed: '#d83933',
  cancelled: '#e07b00',
  waiting_operator: '#8e44ad',
  in_progress: '#1f6fd1',
  transient_error: '#e07b00',
  permanent_error: '#d83933',
  skipped: '#b0b4ba',
  p50: '#1f6fd1',
  p95: '#d83933',
};

/** What dashboard.js draws, as JSON in a non-executable script element (the CSP allows no inline script). */
function chartData(req: FastifyRequest, v: DashboardView) {
  const { t, lang } = stateOf(req);
  const seconds = (ms: number[]) => ms.map((h) => h / 1000);
  return {
    timeZone: 'Europe/Rome',
    locale: lang === 'it' ? 'it-IT' : 'en-GB',
    xLabels: { time: v.series.timeline.unit === 'day' ? t.day : t.hour, source: t.source },
    charts: {
      'chart-hourly': {
        kind: 'stacked-time',
        unit: v.series.timeline.unit,
        x: seconds(v.series.timeline.starts),
        series: OUTCOMES.map((o) => ({ label: t.outcome[o], color: COLORS[o], values: v.series.counts[o] })),
      },
      'chart-times': {
        kind: 'lines-log-ms',
        unit: v.times.timeline.unit,
        x: seconds(v.times.timeline.starts),
        series: [
          { label: 'p50', color: COLORS.p50, values: v.times.p50 },
          { label: 'p95', color: COLORS.p95, values: v.times.p95 },
        ],
      },
      'chart-sources': {
        kind: 'stacked-categories',
        categories: v.sources.map((s) => sourceName(t, s.source)),
        series: ATTEMPT_OUTCOMES.map((o) => ({ label: t.attemptOutcome[o], color: COLORS[o], values: v.sources.map((s) => s.counts[o]) })),
      },
    },
  };
}

function card(label: string, value: string, extra?: string | null): SafeHtml {
  return html`<div class="card"><p class="card-label">${label}</p><p class="card-value">${value}</p>${extra && html`<p class="card-extra">${extra}</p>`}</div>`;
}

/** "31/12/2026" for a YYYY-MM-DD day (both languages write days this way). */
function dayText(day: string): string {
  return `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`;
}

/** A bucket's label in the tables: the day, or the hour (with its day when the period spans several). */
function bucketLabel(lang: Lang, timeline: Timeline, ms: number): string {
  const day = new Intl.DateTimeFormat(lang === 'it' ? 'it-IT' : 'en-GB', { timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric' }).format(ms);
  if (timeline.unit === 'day') return day;
  const first = timeline.starts[0] ?? ms;
  const last = timeline.starts[timeline.starts.length - 1] ?? ms;
  return last - first >= 24 * 3_600_000 ? `${day.slice(0, 5)} ${formatTime(lang, ms)}` : formatTime(lang, ms);
}

/** `/admin` (or another path) with the period's query and more. */
export function withRange(path: string, range: DashboardRange, more: Record<string, string> = {}): string {
  const query = new URLSearchParams({ ...range.query, ...more }).toString();
  return query === '' ? path : `${path}?${query}`;
}

function rangeControls(req: FastifyRequest, v: DashboardView): SafeHtml {
  const { t } = stateOf(req);
  const { range } = v;
  const keep = belowQuery(req, v);
  const invalid = v.rangeInvalid ? ' aria-invalid="true"' : '';
  const tab = (current: boolean, href: string, label: string) =>
    current ? html`<li><strong aria-current="page">${label}</strong></li>` : html`<li><a href="${href}">${label}</a></li>`;
  return html`${v.errors.length > 0 && html`<div class="problem" role="alert" id="dashboard-errors"><ul>${v.errors.map((e) => html`<li>${e}</li>`)}</ul></div>`}
<nav aria-label="${t.rangePresets}"><ul class="tabs range-tabs">
${([24, 48] as const).map((h) => tab(!v.rangeInvalid && range.hours === h, `/admin?${new URLSearchParams({ ...(h === 48 ? { hours: '48' } : {}), ...keep })}`.replace(/\?$/, ''), t.lastHours(h)))}
${PRESETS.map((p) => tab(range.preset === p, `/admin?${new URLSearchParams({ range: p, ...keep })}`, t.preset[p]))}
</ul></nav>
<form method="get" action="/admin" class="filters" id="dashboard-range" aria-describedby="range-hint">
  <div class="field"><label for="r-from">${t.dateFrom}</label><input type="date" id="r-from" name="from" value="${v.form.from}"${raw(invalid)}></div>
  <div class="field"><label for="r-to">${t.dateTo}</label><input type="date" id="r-to" name="to" value="${v.form.to}"${raw(invalid)}></div>
  ${Object.entries(keep).map(([k, value]) => html`<input type="hidden" name="${k}" value="${value}">`)}
  <button type="submit">${t.show}</button>
</form>
<p class="hint" id="range-hint">${t.rangeHint}</p>`;
}

/** The threshold in the query, when one was given: kept by the period's links and form. */
function belowQuery(req: FastifyRequest, v: DashboardView): Record<string, string> {
  const given = (req.query as Record<string, unknown> | undefined)?.below;
  return typeof given === 'string' && given.trim() !== '' && v.belowText === null ? { below: given.trim() } : {};
}

function periodText(req: FastifyRequest, range: DashboardRange): string {
  const { t } = stateOf(req);
  if (range.hours !== null) return t.lastHours(range.hours);
  return t.periodOf(dayText(range.from), dayText(range.to));
}

function activitySection(req: FastifyRequest, v: DashboardView): SafeHtml {
  const { t, lang } = stateOf(req);
  const a = v.activity;
  const money = (cents: number) => formatMoney(lang, cents);
  const cols = (r: typeof a.totals) =>
    html`<td class="num">${r.requests}</td><td class="num">${r.found}</td><td class="num">${r.notFound}</td><td class="num">${r.cancelled}</td><td class="num">${money(r.revenueCents)}</td>`;
  return html`<section aria-labelledby="h-activity"><h2 id="h-activity">${t.activityTitle}</h2>
<p class="hint">${t.activityHint}</p>
<p><a class="button" href="${withRange('/admin/dashboard/accounts.csv', v.range)}" download>${t.downloadCsv}</a></p>
${
  a.total === 0
    ? html`<p>${t.noData}</p>`
    : html`<div class="table-wrap"><table id="account-activity">
<thead><tr><th scope="col">${t.colAccount}</th><th scope="col">${t.billingMode}</th><th scope="col">${t.colRequests}</th><th scope="col">${t.colFound}</th><th scope="col">${t.colNotFound}</th><th scope="col">${t.colCancelled}</th><th scope="col">${t.colRevenue}</th></tr></thead>
<tbody>${a.rows.map((r) => html`<tr><th scope="row"><a href="/admin/accounts/${r.accountId}">${r.name}</a></th><td>${t.billing[r.billingMode]}</td>${cols(r)}</tr>`)}</tbody>
<tfoot><tr><th scope="row">${t.total}</th><td></td>${cols(a.totals)}</tr></tfoot>
</table></div>
${!a.all && a.total > a.rows.length && html`<p>${t.activityShown(a.rows.length, a.total)} <a href="${withRange('/admin', v.range, { ...belowQuery(req, v), all: '1' })}#h-activity">${t.showAll(a.total)}</a></p>`}`
}</section>`;
}

function lowBalanceSection(req: FastifyRequest, v: DashboardView): SafeHtml {
  const { t, lang } = stateOf(req);
  const { low } = v;
  const belowValue = v.belowText ?? formatMoney(lang, low.belowCents);
  return html`<section aria-labelledby="h-low"><h2 id="h-low">${t.lowBalanceTitle}</h2>
<p class="hint">${t.lowBalanceHint(formatMoney(lang, low.belowCents))}</p>
<form method="get" action="/admin#h-low" class="filters" id="low-balance-form">
  ${Object.entries(v.range.query).map(([k, value]) => html`<input type="hidden" name="${k}" value="${value}">`)}
  <div class="field"><label for="l-below">${t.lowBalanceThreshold}</label><input type="text" inputmode="decimal" id="l-below" name="below" value="${belowValue}"${raw(v.belowText !== null ? ' aria-invalid="true"' : '')}></div>
  <button type="submit">${t.show}</button>
</form>
${
  low.accounts.length === 0
    ? html`<p>${t.noLowBalance}</p>`
    : html`<div class="table-wrap"><table id="low-balance">
<thead><tr><th scope="col">${t.colAccount}</th><th scope="col">${t.balance} (€)</th><th scope="col">${t.colDailySpend}</th><th scope="col">${t.colDaysLeft}</th></tr></thead>
<tbody>${low.accounts.map(
        (r) =>
          html`<tr><th scope="row"><a href="/admin/accounts/${r.accountId}">${r.name}</a></th><td class="num">${formatMoney(lang, r.balanceCents)}</td><td class="num">${formatMoney(lang, r.dailySpendCents)}</td><td class="num">${r.daysLeft === null ? t.noSpend : r.daysLeft}</td></tr>`,
      )}</tbody>
</table></div>
${low.total > low.accounts.length && html`<p>${t.lowBalanceShown(low.accounts.length, low.total)}</p>`}`
}</section>`;
}

export function dashboardPage(req: FastifyRequest, v: DashboardView): SafeHtml {
  const { t, lang } = stateOf(req);
  const total = OUTCOMES.reduce((sum, o) => sum + v.series.counts[o].reduce((a, b) => a + b, 0), 0);
  const lookupQueue = v.queues.find((q) => q.queue === 'lookup');
  const daily = v.series.timeline.unit === 'day';
  const seriesTitle = daily ? t.chartDaily : t.chartHourly;
  const timesTitle = daily ? t.chartTimesDaily : t.chartTimes;
  const bucketHead = daily ? t.day : t.hour;
  return html`<h1>${t.dashboardTitle}</h1>
${rangeControls(req, v)}
<p id="period"><strong>${t.rangeLegend}:</strong> ${periodText(req, v.range)}</p>
<div class="cards">
  ${card(t.requestsInWindow, String(total))}
  ${card(t.medianAnswer, formatDuration(lang, v.times.overall.p50))}
  ${card(t.p95Answer, formatDuration(lang, v.times.overall.p95))}
  ${card(t.queueReady, String((lookupQueue?.ready ?? 0) + (lookupQueue?.delayed ?? 0) + (lookupQueue?.running ?? 0)))}
  ${card(t.waitingOperator, String(v.waiting.waiting), v.waiting.oldestSince === null ? null : t.oldestWaiting(formatDuration(lang, v.now - v.waiting.oldestSince)))}
  ${card(t.watchedCodes, String(v.watches.codes), t.watchesOf(v.watches.watches))}
  ${card(t.watchEventsInWindow, String(v.watches.events))}
</div>

<section aria-labelledby="h-hourly"><h2 id="h-hourly">${seriesTitle}</h2>
<div class="chart" id="chart-hourly" role="img" aria-label="${seriesTitle}"></div>
<details><summary>${t.showTable}</summary><div class="table-wrap"><table>
<thead><tr><th scope="col">${bucketHead}</th>${OUTCOMES.map((o) => html`<th scope="col">${t.outcome[o]}</th>`)}</tr></thead>
<tbody>${v.series.timeline.starts.map((h, i) => html`<tr><th scope="row">${bucketLabel(lang, v.series.timeline, h)}</th>${OUTCOMES.map((o) => html`<td>${v.series.counts[o][i]}</td>`)}</tr>`)}</tbody>
</table></div></details></section>

<section aria-labelledby="h-times"><h2 id="h-times">${timesTitle}</h2>
${v.times.overall.answered === 0 && html`<p>${t.noData}</p>`}
<div class="chart" id="chart-times" role="img" aria-label="${timesTitle}"></div>
<details><summary>${t.showTable}</summary><div class="table-wrap"><table>
<thead><tr><th scope="col">${bucketHead}</th><th scope="col">p50</th><th scope="col">p95</th></tr></thead>
<tbody>${v.times.timeline.starts.map((h, i) => html`<tr><th scope="row">${bucketLabel(lang, v.times.timeline, h)}</th><td>${formatDuration(lang, v.times.p50[i])}</td><td>${formatDuration(lang, v.times.p95[i])}</td></tr>`)}</tbody>
</table></div></details></section>

${activitySection(req, v)}

${lowBalanceSection(req, v)}

<section aria-labelledby="h-sources"><h2 id="h-sources">${t.chartSources}</h2>
${
  v.sources.length === 0
    ? html`<p>${t.noData}</p>`
    : html`<div class="chart" id="chart-sources" role="img" aria-label="${t.chartSources}"></div>
<div class="table-wrap"><table id="source-health">
<thead><tr><th scope="col">${t.source}</th>${ATTEMPT_OUTCOMES.map((o) => html`<th scope="col">${t.attemptOutcome[o]}</th>`)}<th scope="col">${t.total}</th><th scope="col">${t.errorRate}</th></tr></thead>
<tbody>${v.sources.map((s) => html`<tr><th scope="row">${sourceName(t, s.source)}</th>${ATTEMPT_OUTCOMES.map((o) => html`<td>${s.counts[o]}</td>`)}<td>${s.total}</td><td>${Math.round(s.errorRate * 100)}%</td></tr>`)}</tbody>
</table></div>`
}</section>

<section aria-labelledby="h-queues"><h2 id="h-queues">${t.queueTitle}</h2>
${
  v.queues.length === 0
    ? html`<p>${t.noData}</p>`
    : html`<div class="table-wrap"><table id="queue-depth">
<thead><tr><th scope="col">${t.queueName}</th><th scope="col">${t.ready}</th><th scope="col">${t.delayed}</th><th scope="col">${t.running}</th><th scope="col">${t.failedJobs}</th></tr></thead>
<tbody>${v.queues.map((q) => html`<tr><th scope="row">${q.queue}</th><td>${q.ready}</td><td>${q.delayed}</td><td>${q.running}</td><td>${q.failed}</td></tr>`)}</tbody>
</table></div>`
}</section>
<script type="application/json" id="dashboard-data">${jsonForScript(chartData(req, v))}</script>`;
}
