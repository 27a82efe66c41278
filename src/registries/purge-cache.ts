import type { MaintenanceTask } from '../queue/maintenance.ts';

/** Deletes expired registry answers: a person's PEC is not kept past its cache lifetime. */
export function purgeRegistryCacheTask(everyMs = 3_600_000): MaintenanceTask {
  return {
    name: 'purge-registry-cache',
    everyMs,
    async run(trx, now) {
      const result = await trx.deleteFrom('registry_cache').where('expires_at', '<=', now).executeTakeFirst();
      return { deleted: Number(result.numDeletedRows) };
    },
  };
}
