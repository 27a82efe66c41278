/**
 * Errors of the client program, with stable codes. The CLI prints only the message (one readable
 * line, never a stack trace); callers branch on the code: `watch` keeps a file in `in/` when the
 * server is the problem and moves it to `errors/` when the file is.
 */
export const ClientErrorCode = {
  config: 'config',
  unreachable: 'unreachable',
  unavailable: 'unavailable',
  keyInvalid: 'key_invalid',
  badAnswer: 'bad_answer',
  fileMissing: 'file_missing',
  fileUnreadable: 'file_unreadable',
  unsupportedFormat: 'unsupported_format',
  noCodeColumn: 'no_code_column',
  columnNotFound: 'column_not_found',
  interrupted: 'interrupted',
  /** The operator did not confirm a cost (--refresh, --rebuy). */
  declined: 'declined',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

export function isClientError(error: unknown, ...codes: ClientErrorCode[]): error is ClientError {
  return error instanceof ClientError && (codes.length === 0 || codes.includes(error.code));
}

/** Worth retrying after a pause: the server may come back; nothing about the request is wrong. */
export function isTransient(error: unknown): boolean {
  return isClientError(error, ClientErrorCode.unreachable, ClientErrorCode.unavailable);
}

/** The server (or the way we reach it) is the problem, not the input file. */
export function isServerProblem(error: unknown): boolean {
  return isClientError(error, ClientErrorCode.unreachable, ClientErrorCode.unavailable, ClientErrorCode.keyInvalid, ClientErrorCode.badAnswer);
}
