import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { newId } from '../ids.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Who made a change: `user:<username>` in the back office, `cli` on the command line. */
export interface AuditBy {
  actor: string;
}

/** The actor name of a back-office user, as the audit log stores it. */
export function userActor(username: string): string {
  return `user:${username}`;
}

export const CLI_ACTOR: AuditBy = { actor: 'cli' };

export interface AuditEntry {
  at: number;
  actor: string;
  /** `<object>.<verb>`, e.g. `account.update`, `ledger.topup`, `key.revoke`, `request.answer`. */
  action: string;
  /** The id of what changed (account, key, request, user); null when nothing in particular. */
  target: string | null;
  /** The state before and after, as JSON (null for a creation or a deletion). Never secrets. */
  before?: unknown;
  after?: unknown;
}

/**
 * Appends one row to the audit log. Call it inside the transaction that makes the change, so
 * the change and its record commit together or not at all.
 *
 * @example
 * await store.db.transaction().execute(async (trx) => {
 *   await trx.updateTable('accounts').set({ price_cents: 12 }).where('id', '=', id).execute();
 *   await recordAudit(trx, { at: now, actor: 'cli', action: 'account.update', target: id, before: { price_cents: 10 }, after: { price_cents: 12 } });
 * });
 */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<string> {
  const id = newId('aud', entry.at);
  await db
    .insertInto('audit_log')
    .values({
      id,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      before_json: entry.before === undefined || entry.before === null ? null : JSON.stringify(entry.before),
      after_json: entry.after === undefined || entry.after === null ? null : JSON.stringify(entry.after),
    })
    .execute();
  return id;
}
