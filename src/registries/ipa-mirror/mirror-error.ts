/** Why a refresh of the mirror was refused; the mirror keeps its previous data in every case. */
export type MirrorErrorCode = 'http_status' | 'network' | 'truncated' | 'too_large' | 'malformed' | 'too_few_rows' | 'aborted';

export class MirrorRefreshError extends Error {
  constructor(
    readonly code: MirrorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MirrorRefreshError';
  }
}
