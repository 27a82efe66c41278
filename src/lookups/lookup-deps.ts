import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { Clock } from '../clock.ts';
import type { Notifier } from '../queue/notifier.ts';
import type { Registry } from '../registries/registry.ts';
import type { Acceptance, PreparedSubmission } from './accept-lookups.ts';

/** What the lookup operations need, passed in rather than imported. */
export interface LookupDeps {
  store: Store;
  clock: Clock;
  notifier: Notifier;
  logger: Logger;
  /** Attempts before a request fails for good (and is refunded). */
  maxAttempts: number;
  /**
   * Sources cheap enough to ask while accepting a request (the local directory: one indexed
   * read). A hit, or a miss when they are the whole chain, is answered in the accepting
   * transaction without a trip through the queue. Absent: everything goes through the queue.
   */
  /**
   * The group commit that accepts submissions (see createGroupCommit and acceptLookups). Absent:
   * each submission is its own transaction (tests, one-off commands).
   */
  accept?: (submission: PreparedSubmission) => Promise<Acceptance>;
  /**
   * Called right after the commit that settles requests (answered, given up, cancelled): the
   * batches they finish are completed (batches/settle-batches.ts). It does not throw. Absent:
   * batches wait for the sweeper.
   */
  settled?: (requestIds: readonly string[]) => Promise<void>;
  /** Sources asked while accepting, before the commit: only those that read the store (the local directory), never a network, so they get no deadline. */
  inline?: {
    chainFor(kind: 'cf16' | 'cf11'): readonly Registry[];
    /** true when the inline sources are all the chain has for this kind (a miss is final). */
    isWholeChain(kind: 'cf16' | 'cf11'): boolean;
  };
}
