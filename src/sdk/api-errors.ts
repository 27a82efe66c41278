import type { Problem } from './api-types.ts';

/**
 * The server answered with an HTTP error. The fields are its RFC 9457 problem+json body; `code`
 * is the stable one to branch on (`invalid_code`, `insufficient_credit`, `not_found`, ...). An
 * error body that is not problem+json (a proxy's 502 page) gets `type` "about:blank" and
 * `code` "http_<status>".
 */
export class ApiProblemError extends Error implements Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code: string;
  /** From Retry-After, when the server sent one (429, 503). */
  readonly retryAfterMs: number | null;

  constructor(problem: Problem, retryAfterMs: number | null = null) {
    super(`${problem.title}${problem.detail ? `: ${problem.detail}` : ''} (HTTP ${problem.status}, ${problem.code})`);
    this.name = 'ApiProblemError';
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    if (problem.detail !== undefined) this.detail = problem.detail;
    this.code = problem.code;
    this.retryAfterMs = retryAfterMs;
  }
}

export type ApiNetworkErrorCode = 'unreachable' | 'timeout' | 'bad_response';

/**
 * No usable answer: the server could not be reached (`unreachable`), did not answer in time
 * (`timeout`), or answered something that is not the JSON API (`bad_response`). The first two
 * are worth retrying later. The message names the server and the reason, never the key.
 */
export class ApiNetworkError extends Error {
  constructor(
    readonly code: ApiNetworkErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiNetworkError';
  }
}

export function isApiProblem(error: unknown, ...codes: string[]): error is ApiProblemError {
  return error instanceof ApiProblemError && (codes.length === 0 || codes.includes(error.code));
}

/** Builds the error for a non-2xx answer from its body, problem+json or not. */
export function problemFromResponse(status: number, statusText: string, contentType: string, text: string, retryAfterMs: number | null): ApiProblemError {
  if (/^application\/problem\+json\b/i.test(contentType)) {
    try {
      const body = JSON.parse(text) as Partial<Problem>;
      if (typeof body.type === 'string' && typeof body.title === 'string' && typeof body.code === 'string') {
        const detail = typeof body.detail === 'string' ? body.detail : undefined;
        return new ApiProblemError(
          {
            type: body.type,
            title: body.title,
            status: typeof body.status === 'number' ? body.status : status,
            code: body.code,
            ...(detail ? { detail } : {}),
          },
          retryAfterMs,
        );
      }
    } catch {
      // not JSON after all: described below like any other error page
    }
  }
  const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 120);
  return new ApiProblemError(
    { type: 'about:blank', title: statusText || `HTTP ${status}`, status, code: `http_${status}`, ...(excerpt ? { detail: excerpt } : {}) },
    retryAfterMs,
  );
}

/** ECONNREFUSED, ENOTFOUND, "certificate has expired": what an operator can act on. */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
