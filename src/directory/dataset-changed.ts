import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { addJob } from '../queue/add-job.ts';

/**
 * The queue whose worker re-checks watched codes (watches/recheck-job.ts). Named here, below
 * watches/, because the data that changes lives here: an import or a mirror refresh says "this
 * source changed" without knowing who watches (watches/ sits above directory/ and registries/).
 */
export const WATCH_QUEUE = 'watches';

/** The job a change of local data leaves for the watch worker (a slice of the re-check). */
export interface LocalRecheckPayload {
  kind: 'local';
  source: string;
  after: string | null;
  /** When the data changed: the time of the observations the re-check records. */
  changedAt: number;
}

/**
 * Asks for a re-check of a local source, in the transaction that changed its data (a dataset
 * swap, a mirror refresh): the change and the re-check commit together, and a worker picks the
 * job up within its poll interval even when the change came from another process (the CLI).
 */
export async function datasetChanged(db: Kysely<Database> | Transaction<Database>, source: string, now: number): Promise<void> {
  await addJob(db, { queue: WATCH_QUEUE, payload: { kind: 'local', source, after: null, changedAt: now } satisfies LocalRecheckPayload, now, maxAttempts: 20 });
}
