import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import type { Notifier } from '../queue/notifier.ts';

/** What the lookup operations need, passed in rather than imported. */
export interface LookupDeps {
  store: Store;
  clock: Clock;
  notifier: Notifier;
  logger: Logger;
  /** Attempts before a request fails for good (and is refunded). */
  maxAttempts: number;
}
