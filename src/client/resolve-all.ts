import { setMaxListeners } from 'node:events';
import { pollToken, submitCode, type ResolveContext, type Resolution } from './resolve-code.ts';

export interface CodeJob {
  code: string;
  /** From the state file: already submitted, only poll. */
  token?: string;
}

/**
 * Resolves many codes. `width` submitters take codes in order and each finishes a code's
 * submission (including a cf-delete and resubmit) before taking the next, so at most `width`
 * codes are ever "sent but not yet in the state file", and a recovery does not queue behind
 * thousands of first submissions. Every token is then polled on its own schedule; the slots in
 * `ctx` bound the requests in flight across both.
 *
 * The first error that is not about a single code (key refused, server gone for minutes,
 * Ctrl-C) stops everything and is rethrown once all work has stopped, so the caller can close
 * its state file knowing nothing is still writing to it.
 */
export async function resolveAll(
  ctx: ResolveContext,
  width: number,
  jobs: readonly CodeJob[],
  onResolved: (code: string, resolution: Resolution) => void,
): Promise<void> {
  const controller = new AbortController();
  // Every sleeping or queued code listens to this signal: thousands of listeners are expected.
  setMaxListeners(0, controller.signal);
  const forward = () => controller.abort(ctx.signal.reason);
  if (ctx.signal.aborted) forward();
  ctx.signal.addEventListener('abort', forward, { once: true });
  const inner: ResolveContext = { ...ctx, signal: controller.signal };

  let failure: { error: unknown } | null = null;
  const fail = (error: unknown) => {
    if (failure !== null) return;
    failure = { error: controller.signal.aborted ? controller.signal.reason : error };
    controller.abort(error);
  };
  const polls: Promise<void>[] = [];
  const poll = (code: string, token: string) => {
    polls.push(
      pollToken(inner, token)
        .then((resolution) => onResolved(code, resolution))
        .catch(fail),
    );
  };

  try {
    for (const job of jobs) if (job.token !== undefined) poll(job.code, job.token);
    const queue = jobs.filter((job) => job.token === undefined);
    let next = 0;
    const submitter = async () => {
      while (next < queue.length && !controller.signal.aborted) {
        const { code } = queue[next++];
        try {
          const submitted = await submitCode(inner, code);
          if ('token' in submitted) poll(code, submitted.token);
          else onResolved(code, submitted);
        } catch (error) {
          return fail(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(width, queue.length) }, submitter));
    // No poll is added once the submitters are done: this waits for all of them.
    await Promise.all(polls);
  } finally {
    ctx.signal.removeEventListener('abort', forward);
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
}
