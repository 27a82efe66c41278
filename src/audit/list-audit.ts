import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface AuditFilter {
  /** Exact actor (`cli`, `user:mario`). */
  actor?: string;
  /** An action, or a prefix ending in `.` (`account.` for every account action). */
  action?: string;
  target?: string;
  /** Rows strictly older than this (paging, newest first). */
  before?: number;
  limit?: number;
}

export interface AuditRow {
  id: string;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
}

/** The audit log, newest first. */
export async function listAudit(db: Kysely<Database>, filter: AuditFilter = {}): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll();
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.action) query = filter.action.endsWith('.') ? query.where('action', 'like', `${filter.action}%`) : query.where('action', '=', filter.action);
  if (filter.target) query = query.where('target', '=', filter.target);
  if (filter.before !== undefined) query = query.where('at', '<', filter.before);
  const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit ?? 200).execute();
  return rows.map((r) => ({
    id: r.id,
    at: Number(r.at),
    actor: r.actor,
    action: r.action,
    target: r.target,
    before: r.before_json === null ? null : JSON.parse(r.before_json),
    after: r.after_json === null ? null : JSON.parse(r.after_json),
  }));
}
