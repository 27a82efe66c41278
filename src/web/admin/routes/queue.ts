import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listOperatorQueue } from '../../../operators/list-operator-queue.ts';
import {
  claimOperatorRequest,
  heldRequest,
  releaseOperatorRequest,
  renewOperatorLease,
  type OperatorClaim,
} from '../../../operators/claim-operator-request.ts';
import { answerOperatorRequest, OPERATOR_KINDS } from '../../../operators/answer-operator-request.ts';
import { isCercapecError } from '../../../errors.ts';
import type { AddressKind } from '../../../registries/registry.ts';
import { page } from '../layout.ts';
import { auditBy, field, param, stateOf, userOf, type AdminDeps } from '../admin-context.ts';
import { queueList, workPage, type WorkView } from '../views/queue-views.ts';
import { errorPage } from '../error-page.ts';
import { jobHolder } from '../../../operators/job-holder.ts';
import { formatTime } from '../format.ts';
import { listAttempts, requestCode, requestWithAccountName } from '../../../lookups/request-detail.ts';
import { usernamesOf } from '../../../users/users.ts';

const DONE = { answered: 'answered', late: 'answeredTooLate', released: 'released', lost: 'leaseLost', empty: 'nothingToClaim' } as const;

function sendPage(reply: FastifyReply, body: string, status = 200) {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

/** The operator queue: list, claim (the queue's lease), work on one, answer, release. */
export function queueRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store, clock } = deps;

  app.get('/queue', async (req, reply) => {
    const { t } = stateOf(req);
    const now = clock.now();
    const [rows, held] = await Promise.all([listOperatorQueue(store.db, now), heldRequest(store, userOf(req).id, now)]);
    const userIds = rows.flatMap((r) => (r.claimedBy?.startsWith('operator:') ? [r.claimedBy.slice('operator:'.length)] : []));
    const users = await usernamesOf(store, userIds);
    const heldCode = held ? ((await requestCode(store.db, held.requestId)) ?? '') : '';
    const done = DONE[param(req, 'done') as keyof typeof DONE];
    // Someone else's request: who holds it and until when (read now, not carried in the URL).
    const heldJob = param(req, 'held');
    const holder = heldJob ? await jobHolder(store.db, heldJob, now) : null;
    const problem = done === 'leaseLost';
    const heldError = holder && holder.userId !== userOf(req).id ? t.heldByOther(holder.username, formatTime(stateOf(req).lang, holder.lockedUntil)) : null;
    const body = queueList(req, {
      rows,
      held: held && { ...held, code: heldCode },
      usernames: new Map(users.map((u) => [`operator:${u.id}`, u.username])),
      now,
    });
    return sendPage(
      reply,
      page(req, { title: t.queuePageTitle, section: 'queue', body, notice: done && !problem ? t[done] : null, error: heldError ?? (problem ? t[done] : null) })
        .text,
    );
  });

  app.post('/queue/claim', async (req, reply) => {
    const jobId = field(req.body, 'jobId') || undefined;
    const claim = await claimOperatorRequest(store, { userId: userOf(req).id, now: clock.now(), leaseMs: deps.operatorLeaseMs, jobId, audit: auditBy(req) });
    if (claim) return reply.redirect(`/admin/queue/${claim.jobId}`, 303);
    return reply.redirect(jobId ? await notYours(req, jobId, 'empty') : '/admin/queue?done=empty', 303);
  });

  /** Where a person goes who asked for a job they do not hold: who holds it, or the reason. */
  async function notYours(req: FastifyRequest, jobId: string, otherwise: keyof typeof DONE): Promise<string> {
    const holder = await jobHolder(store.db, jobId, clock.now());
    return holder && holder.userId !== userOf(req).id ? `/admin/queue?held=${encodeURIComponent(jobId)}` : `/admin/queue?done=${otherwise}`;
  }

  async function workView(_req: FastifyRequest, claim: OperatorClaim): Promise<WorkView | null> {
    const request = await requestWithAccountName(store.db, claim.requestId);
    if (!request) return null;
    const attempts = await listAttempts(store.db, claim.requestId);
    return { claim, request, accountName: request.name, attempts };
  }

  app.get<{ Params: { jobId: string } }>('/queue/:jobId', async (req, reply) => {
    const now = clock.now();
    const user = userOf(req);
    const renewed = await renewOperatorLease(store, user.id, req.params.jobId, now, deps.operatorLeaseMs);
    const held = renewed ? await heldRequest(store, user.id, now) : null;
    const view = held && held.jobId === req.params.jobId ? await workView(req, held) : null;
    if (!view) return reply.redirect(await notYours(req, req.params.jobId, 'lost'), 303);
    return sendPage(reply, page(req, { title: stateOf(req).t.workTitle(view.request.code), section: 'queue', body: workPage(req, view) }).text);
  });

  app.post<{ Params: { jobId: string } }>('/queue/:jobId/answer', async (req, reply) => {
    const { t } = stateOf(req);
    const user = userOf(req);
    const outcome = field(req.body, 'outcome') === 'not_found' ? 'not_found' : 'found';
    const kind = field(req.body, 'kind') || 'sconosciuto';
    const note = field(req.body, 'note');
    if (!OPERATOR_KINDS.includes(kind as (typeof OPERATOR_KINDS)[number])) return errorPage(req, reply, 400);
    try {
      const answer = outcome === 'found' ? ({ outcome, pec: field(req.body, 'pec'), kind: kind as AddressKind, note } as const) : ({ outcome, note } as const);
      const result = await answerOperatorRequest(deps.lookups, { user, jobId: req.params.jobId, answer });
      return reply.redirect(`/admin/queue?done=${result.answered ? 'answered' : 'late'}`, 303);
    } catch (error) {
      if (isCercapecError(error, 'operator_lease_lost')) return reply.redirect(await notYours(req, req.params.jobId, 'lost'), 303);
      if (!isCercapecError(error, 'invalid_argument')) throw error;
      // Back to the same form, with what was typed and the reason.
      const held = await heldRequest(store, user.id, clock.now());
      const view = held && held.jobId === req.params.jobId ? await workView(req, held) : null;
      if (!view) return reply.redirect('/admin/queue?done=lost', 303);
      view.entered = { pec: field(req.body, 'pec'), kind, note };
      return sendPage(reply, page(req, { title: t.workTitle(view.request.code), section: 'queue', body: workPage(req, view), error: t.invalidPec }).text, 400);
    }
  });

  app.post<{ Params: { jobId: string } }>('/queue/:jobId/release', async (req, reply) => {
    const released = await releaseOperatorRequest(store, userOf(req).id, req.params.jobId, clock.now(), auditBy(req));
    return reply.redirect(released ? '/admin/queue?done=released' : await notYours(req, req.params.jobId, 'lost'), 303);
  });
}
