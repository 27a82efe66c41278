import type { z } from 'zod';
import type { RequestsTable, RequestAddressesTable } from '../store/schema.ts';
import type { LookupSchema } from './schemas.ts';

export type LookupResource = z.output<typeof LookupSchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** A stored request as the JSON API shows it (and its lookup.answered webhook sends). */
export function toLookupResource(row: RequestsTable, addresses: RequestAddressesTable[]): LookupResource {
  return {
    id: row.id,
    code: row.code,
    kind: row.kind,
    status: row.status,
    pec: row.pec,
    addresses: addresses.map((a) => ({
      pec: a.pec,
      source: a.source,
      kind: a.kind,
      label: a.label,
      datasetId: a.dataset_id,
      profession: a.profession ?? null,
      validFrom: iso(a.valid_from ?? null),
      validUntil: iso(a.valid_until ?? null),
      foundAt: iso(a.found_at)!,
    })),
    reference: row.reference,
    callbackUrl: row.callback_url,
    createdAt: iso(row.created_at)!,
    answeredAt: iso(row.answered_at),
    error: row.status === 'failed' ? { code: row.error_code ?? 'lookup_failed', message: row.error_message ?? 'technical failure' } : null,
  };
}
