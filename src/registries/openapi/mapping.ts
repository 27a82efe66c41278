import type { FoundAddress, RegistryAnswer } from '../registry.ts';
import { checkAnsweredCodes } from '../answered-code.ts';

/** OpenAPI SpA's Company answer: {"success":true,"data":[{"pec":"…"}],"message":…,"error":…}. */
export interface CompanyPecAnswer {
  success?: unknown;
  data?: unknown;
  message?: unknown;
  error?: unknown;
}

/**
 * The PECs in `data` (an array of records; a single record is accepted too). Clients read
 * `pec`, some also `certifiedEmail`: both are taken, once each. success false or no address:
 * not found.
 */
export function mapCompanyPec(source: string, body: CompanyPecAnswer, asked: string): RegistryAnswer {
  if (body.success === false) return { outcome: 'not_found' };
  const records = Array.isArray(body.data) ? body.data : body.data && typeof body.data === 'object' ? [body.data] : [];
  const seen = new Set<string>();
  const addresses: FoundAddress[] = [];
  for (const record of records as Array<Record<string, unknown>>) {
    // A record naming codes (the stand-in's cf; taxCode and vatCode in Company's records) must name the one asked.
    checkAnsweredCodes(source, asked, [record?.cf, record?.taxCode, record?.vatCode]);
    for (const field of ['pec', 'certifiedEmail']) {
      const value = record?.[field];
      if (typeof value !== 'string' || !value.includes('@')) continue;
      const pec = value.trim();
      if (seen.has(pec.toLowerCase())) continue;
      seen.add(pec.toLowerCase());
      addresses.push({ pec, kind: 'impresa', source, label: null, profession: null });
    }
  }
  return addresses.length > 0 ? { outcome: 'found', addresses } : { outcome: 'not_found' };
}
