import type { FastifyInstance } from 'fastify';
import { requestsPerHour, HOUR_MS } from '../../../dashboard/requests-per-hour.ts';
import { answerTimes } from '../../../dashboard/answer-times.ts';
import { sourceHealth } from '../../../dashboard/source-health.ts';
import { queueDepth } from '../../../queue/queue-depth.ts';
import { operatorQueueDepth } from '../../../operators/list-operator-queue.ts';
import { page } from '../layout.ts';
import { param, stateOf, type AdminDeps } from '../admin-context.ts';
import { dashboardPage } from '../views/dashboard-view.ts';
import { watchCounts } from '../../../watches/list-watches.ts';

/** /admin: the last 24 or 48 hours at a glance, charts drawn by dashboard.js with uPlot. */
export function dashboardRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.get('/', async (req, reply) => {
    const hours = param(req, 'hours') === '48' ? 48 : 24;
    const now = deps.clock.now();
    // Whole hours: the current one plus the hours - 1 before it.
    const since = (Math.floor(now / HOUR_MS) - hours + 1) * HOUR_MS;
    const db = deps.store.db;
    const [hourly, times, sources, queues, waiting, watches] = await Promise.all([
      requestsPerHour(db, since, now + 1),
      answerTimes(db, since, now + 1),
      sourceHealth(db, now - HOUR_MS),
      queueDepth(db, now),
      operatorQueueDepth(db),
      watchCounts(db, since),
    ]);
    const body = dashboardPage(req, { hours, now, hourly, times, sources, queues, waiting, watches });
    const title = stateOf(req).t.dashboardTitle;
    return reply.type('text/html; charset=utf-8').send(
      page(req, {
        title,
        section: 'dashboard',
        body,
        styles: ['/admin/assets/uPlot.min.css'],
        scripts: ['/admin/assets/uPlot.iife.min.js', '/admin/assets/dashboard.js'],
      }).text,
    );
  });
}
