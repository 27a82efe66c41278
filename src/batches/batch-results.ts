import type { Store } from '../store/store.ts';
import type { RowStatus } from './batch-status.ts';
import { rowStatusSql } from './batch-summary.ts';
import { LookupStatus } from '../lookups/lookup-status.ts';

/** Rows read per query while streaming results: a page is all that is ever in memory. */
const RESULT_PAGE = 1000;

export interface ResultRow {
  /** 1-based position among the upload's data rows. */
  row: number;
  /** The row's cells, aligned to the batch's input columns (padded with empty strings). */
  input: string[];
  code: string | null;
  status: RowStatus;
  /** The primary address. */
  pec: string | null;
  /** Every address, primary first. */
  addresses: string[];
  source: string | null;
  error: string | null;
}

/**
 * The batch's rows in input order with their lookups' answers, a page at a time (keyset paging
 * on row_index, addresses for the page in one query).
 */
export async function* batchResultPages(store: Store, batchId: string, columnCount: number): AsyncGenerator<ResultRow[]> {
  let after = -1;
  for (;;) {
    const rows = await store.db
      .selectFrom('batch_rows as br')
      .leftJoin('requests as r', 'r.id', 'br.request_id')
      .select(['br.row_index', 'br.input', 'br.code', 'br.error', 'br.request_id', 'r.pec', 'r.source', 'r.error_message', rowStatusSql().as('status')])
      .where('br.batch_id', '=', batchId)
      .where('br.row_index', '>', after)
      .orderBy('br.row_index')
      .limit(RESULT_PAGE)
      .execute();
    if (rows.length === 0) return;
    const found = [...new Set(rows.filter((r) => r.status === LookupStatus.found).map((r) => r.request_id!))];
    const addresses = new Map<string, string[]>();
    if (found.length > 0) {
      const list = await store.db
        .selectFrom('request_addresses')
        .select(['request_id', 'pec'])
        .where('request_id', 'in', found)
        .orderBy('request_id')
        .orderBy('position')
        .execute();
      for (const a of list) addresses.set(a.request_id, [...(addresses.get(a.request_id) ?? []), a.pec]);
    }
    yield rows.map((r) => {
      const input = JSON.parse(r.input) as string[];
      while (input.length < columnCount) input.push('');
      return {
        row: Number(r.row_index) + 1,
        input,
        code: r.code,
        status: r.status,
        pec: r.status === LookupStatus.found ? r.pec : null,
        addresses: r.request_id ? (addresses.get(r.request_id) ?? []) : [],
        source: r.status === LookupStatus.found ? r.source : null,
        error: r.error ?? (r.status === LookupStatus.failed ? (r.error_message ?? 'errore tecnico') : null),
      };
    });
    after = Number(rows[rows.length - 1].row_index);
    if (rows.length < RESULT_PAGE) return;
  }
}
