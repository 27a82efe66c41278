import type { Clock } from '../clock.ts';

/** An access token (InfoCamere's, a PDND voucher) fetched when needed and shared until shortly before it expires. */
export interface CachedToken {
  get(): Promise<string>;
  /** Forgets `token` (the service refused it: 401/403); a newer token already fetched is kept. */
  drop(token: string): void;
}

export interface FetchedToken {
  token: string;
  /** When to fetch a new one: some margin before the token expires, so no call leaves with a dying token. */
  renewAt: number;
}

/** Concurrent callers share one fetch; a failed fetch is not remembered (the next get() tries again). */
export function createCachedToken(clock: Clock, fetchToken: () => Promise<FetchedToken>): CachedToken {
  let current: FetchedToken | null = null;
  let fetching: Promise<string> | null = null;
  return {
    async get() {
      if (current && clock.now() < current.renewAt) return current.token;
      fetching ??= fetchToken()
        .then((fetched) => {
          current = fetched;
          return fetched.token;
        })
        .finally(() => {
          fetching = null;
        });
      return fetching;
    },
    drop(token) {
      if (current?.token === token) current = null;
    },
  };
}
