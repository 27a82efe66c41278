import type { FastifyRequest } from 'fastify';
import { html, jsonForScript, type SafeHtml } from '../html.ts';
import { stateOf } from '../admin-context.ts';
import { formatDuration, formatTime } from '../format.ts';
import { OUTCOMES, type HourlySeries } from '../../../dashboard/requests-per-hour.ts';
import type { AnswerTimes } from '../../../dashboard/answer-times.ts';
import { ATTEMPT_OUTCOMES, type SourceHealth } from '../../../dashboard/source-health.ts';
import type { QueueDepth } from '../../../queue/queue-depth.ts';
import { sourceName } from '../labels.ts';

export interface DashboardView {
  hours: 24 | 48;
  now: number;
  hourly: HourlySeries;
  times: AnswerTimes;
  sources: SourceHealth[];
  queues: QueueDepth[];
  waiting: { waiting: number; oldestSince: number | null };
  /** Watches now, the codes they cover, and the events of the window. */
  watches: { watches: number; codes: number; events: number };
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
    xLabels: { time: t.hour, source: t.source },
    charts: {
      'chart-hourly': {
        kind: 'stacked-time',
        x: seconds(v.hourly.hours),
        series: OUTCOMES.map((o) => ({ label: t.outcome[o], color: COLORS[o], values: v.hourly.counts[o] })),
      },
      'chart-times': {
        kind: 'lines-log-ms',
        x: seconds(v.times.hours),
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

export function dashboardPage(req: FastifyRequest, v: DashboardView): SafeHtml {
  const { t, lang } = stateOf(req);
  const total = OUTCOMES.reduce((sum, o) => sum + v.hourly.counts[o].reduce((a, b) => a + b, 0), 0);
  const lookupQueue = v.queues.find((q) => q.queue === 'lookup');
  return html`<h1>${t.dashboardTitle}</h1>
<p class="tabs">${([24, 48] as const).map((h) => (h === v.hours ? html`<strong aria-current="page">${t.lastHours(h)}</strong> ` : html`<a href="/admin?hours=${h}">${t.lastHours(h)}</a> `))}</p>
<div class="cards">
  ${card(t.requestsInWindow, String(total))}
  ${card(t.medianAnswer, formatDuration(lang, v.times.overall.p50))}
  ${card(t.p95Answer, formatDuration(lang, v.times.overall.p95))}
  ${card(t.queueReady, String((lookupQueue?.ready ?? 0) + (lookupQueue?.delayed ?? 0) + (lookupQueue?.running ?? 0)))}
  ${card(t.waitingOperator, String(v.waiting.waiting), v.waiting.oldestSince === null ? null : t.oldestWaiting(formatDuration(lang, v.now - v.waiting.oldestSince)))}
  ${card(t.watchedCodes, String(v.watches.codes), t.watchesOf(v.watches.watches))}
  ${card(t.watchEventsInWindow, String(v.watches.events))}
</div>

<section aria-labelledby="h-hourly"><h2 id="h-hourly">${t.chartHourly}</h2>
<div class="chart" id="chart-hourly" role="img" aria-label="${t.chartHourly}"></div>
<details><summary>${t.showTable}</summary><div class="table-wrap"><table>
<thead><tr><th scope="col">${t.hour}</th>${OUTCOMES.map((o) => html`<th scope="col">${t.outcome[o]}</th>`)}</tr></thead>
<tbody>${v.hourly.hours.map((h, i) => html`<tr><th scope="row">${formatTime(lang, h)}</th>${OUTCOMES.map((o) => html`<td>${v.hourly.counts[o][i]}</td>`)}</tr>`)}</tbody>
</table></div></details></section>

<section aria-labelledby="h-times"><h2 id="h-times">${t.chartTimes}</h2>
${v.times.overall.answered === 0 && html`<p>${t.noData}</p>`}
<div class="chart" id="chart-times" role="img" aria-label="${t.chartTimes}"></div>
<details><summary>${t.showTable}</summary><div class="table-wrap"><table>
<thead><tr><th scope="col">${t.hour}</th><th scope="col">p50</th><th scope="col">p95</th></tr></thead>
<tbody>${v.times.hours.map((h, i) => html`<tr><th scope="row">${formatTime(lang, h)}</th><td>${formatDuration(lang, v.times.p50[i])}</td><td>${formatDuration(lang, v.times.p95[i])}</td></tr>`)}</tbody>
</table></div></details></section>

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
