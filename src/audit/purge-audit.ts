import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { MaintenanceTask } from '../queue/maintenance.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * Retention for the audit log's personal data: records about requests (claims, answers with the
 * PEC and the operator's note, cancellations) are deleted retentionDays after they were made,
 * like the requests themselves (0 keeps them). Records about accounts, keys, credit and users
 * stay: like the ledger, they are the record of who changed the business.
 */
export async function purgeAudit(db: Kysely<Database> | Transaction<Database>, now: number, retentionDays: number): Promise<number> {
  if (retentionDays <= 0) return 0;
  const result = await db
    .deleteFrom('audit_log')
    .where('action', 'like', 'request.%')
    .where('at', '<', now - retentionDays * DAY)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export function purgeAuditTask(retentionDays: number): MaintenanceTask {
  return { name: 'purge-audit', everyMs: HOUR, run: async (trx, now) => ({ auditRows: await purgeAudit(trx, now, retentionDays) }) };
}
