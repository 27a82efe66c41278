import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface AuditFilter {
  /** Exact actor (`cli`, `user:mario`). */
  actor?: string;
  /** An action, or a prefix ending in `.` (`account.` for every account action). */
  action?: string;
  target?: string;
  /**
   * Rows after this one in the log's order (newest first, then id): the last row of the
   * previous page. Both parts count: rows written in the same millisecond share `at`, and
   * paging on `at` alone skipped those that fell across a page boundary (issue 17).
   */
  before?: AuditCursor;
  limit?: number;
}

export interface AuditCursor {
  at: number;
  id: string;
}

/** A cursor as it travels in a URL: `<at>:<id>`. */
export function formatAuditCursor(c: AuditCursor): string {
  return `${c.at}:${c.id}`;
}

export function parseAuditCursor(text: string): AuditCursor | undefined {
  const m = /^(\d{1,16}):([A-Za-z0-9_-]{1,100})$/.exec(text);
  return m ? { at: Number(m[1]), id: m[2] } : undefined;
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
  const before = filter.before;
  if (before !== undefined) {
    query = query.where((eb) => eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]));
  }
  const rows = await query
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 200)
    .execute();
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
