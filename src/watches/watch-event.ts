import type { WatchEventsTable } from '../store/schema.ts';

/** A watch event as GET /v1/watches/events and the webhook body show it. */
export interface WatchEventView {
  id: string;
  type: WatchEventsTable['type'];
  code: string;
  before: string | null;
  after: string | null;
  source: string;
  at: string;
}

export function toWatchEventView(row: WatchEventsTable): WatchEventView {
  return {
    id: row.id,
    type: row.type,
    code: row.code,
    before: row.before_pec,
    after: row.after_pec,
    source: row.source,
    at: new Date(Number(row.at)).toISOString(),
  };
}

/** The event a change of address is: none when nothing changed (none to none). */
export function eventType(before: string | null, after: string | null): WatchEventsTable['type'] | null {
  if (before === null) return after === null ? null : 'pec.added';
  return after === null ? 'pec.removed' : 'pec.changed';
}
