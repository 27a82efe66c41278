import { backoffDelay, POLL_BACKOFF, type BackoffPolicy, type Sleep } from './backoff.ts';
import { isTransient } from './client-error.ts';
import { alreadyRequestedAnswer, answerFromPoll, errorAnswer, type Answer } from './answer.ts';
import type { SlotPriority, Slots } from './slots.ts';
import type { SubmitResult, Transport } from './transport.ts';

export interface ResolveContext {
  transport: Transport;
  slots: Slots;
  sleep: Sleep;
  random: () => number;
  signal: AbortSignal;
  /**
   * Delete the account's request for the code before submitting it: --refresh, and the codes a
   * confirmed --rebuy buys again. Charged again; the caller has stated the cost first.
   */
  refresh: boolean;
  /**
   * Called with the token the moment the server accepts a code, before the submission counts as
   * done: the batch writes its state line here, so a crash right after loses nothing.
   */
  onSubmitted(code: string, token: string): void;
  /** Shared by every code of a run: after "Credito insufficiente" nothing more is submitted. */
  credit: { exhausted: string | null };
}

/** `final: false` answers are not kept in the state file, so the next run tries the code again. */
export interface Resolution {
  answer: Answer;
  final: boolean;
}

const CREDIT_EXHAUSTED = 'Credito insufficiente';
const CODE_INVALID = 'Codice fiscale non valido';
const DUPLICATE = 'Richiesta già presente';

/** Retries of a server that is unreachable or answers 503: ~2 minutes in all, then the run stops (resumable). */
const RETRY_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 30_000 };
const MAX_RETRIES = 8;

/** Polls a token with backoff until the answer is not WAIT. */
export async function pollToken(ctx: ResolveContext, token: string): Promise<Resolution> {
  for (let attempt = 0; ; attempt++) {
    await ctx.sleep(backoffDelay(attempt, POLL_BACKOFF, ctx.random), ctx.signal);
    const result = await call(ctx, 'poll', () => ctx.transport.poll(token));
    if (result.kind !== 'wait') return { answer: answerFromPoll(result, ctx.transport.name), final: true };
  }
}

/**
 * Submits a code and returns its token (already handed to `onSubmitted`), or the answer when
 * the code cannot be submitted.
 */
export async function submitCode(ctx: ResolveContext, code: string): Promise<{ token: string } | Resolution> {
  const { transport } = ctx;
  const failed = (message: string, final: boolean): Resolution => ({ answer: errorAnswer(message, transport.name), final });
  if (ctx.credit.exhausted !== null) return failed(`non inviata: ${ctx.credit.exhausted}`, false);
  if (ctx.refresh) {
    const cancelled = await call(ctx, 'submit', () => transport.cancel(code));
    if (cancelled.kind === 'error') return failed(cancelled.message, false);
  }
  const result: SubmitResult = await call(ctx, 'submit', () => transport.submit(code));
  if (result.kind === 'duplicate') {
    // The account already has a request for this code but we hold no token for it: a run killed
    // between the server's OK|<token> and our state line, or an earlier lookup of the same code.
    // The text protocol cannot look a token up by code; the only way to an answer is cf-delete
    // and submit again, which charges the code again (issue #15): never done without --rebuy.
    if (ctx.refresh) return failed(`${DUPLICATE} anche dopo la cancellazione`, false);
    return { answer: alreadyRequestedAnswer(transport.name), final: false };
  }
  if (result.kind === 'error') {
    if (result.message === CREDIT_EXHAUSTED) ctx.credit.exhausted = result.message;
    // The server disagreeing about a code is final; anything else may succeed on the next run.
    return failed(result.message, result.message.startsWith(CODE_INVALID));
  }
  ctx.onSubmitted(code, result.token);
  return { token: result.token };
}

/** One request in a slot; an unreachable or unavailable server is retried with backoff, then the error propagates. */
async function call<T>(ctx: ResolveContext, priority: SlotPriority, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.slots.run(priority, fn, ctx.signal);
    } catch (error) {
      if (!isTransient(error) || attempt >= MAX_RETRIES || ctx.signal.aborted) throw error;
      await ctx.sleep(backoffDelay(attempt, RETRY_BACKOFF, ctx.random), ctx.signal);
    }
  }
}
