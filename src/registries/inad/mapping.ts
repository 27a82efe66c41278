import { z } from 'zod';
import { RegistryError, type FoundAddress, type RegistryAnswer } from '../registry.ts';

/**
 * INAD's Response_Request_Digital_Address, read leniently: the spec declares `usageInfo`
 * required, but clients in production (PagoPA SEND's InadConverter) treat a missing one, or one
 * without `dateEndValidity`, as "no cessation", so we do too.
 */
const ElementSchema = z.object({
  digitalAddress: z.string().min(3),
  practicedProfession: z.string().nullish(),
  usageInfo: z
    .object({
      motivation: z.string().nullish(),
      dateEndValidity: z.string().nullish(),
    })
    .nullish(),
});

export const InadRecordSchema = z.object({
  codiceFiscale: z.string().nullish(),
  since: z.string().nullish(),
  digitalAddress: z.array(ElementSchema).nullish(),
});

export type InadRecord = z.infer<typeof InadRecordSchema>;

/** A record as INAD sent it, or a transient "malformed" error (a broken body is the source's fault, not ours). */
export function parseInadRecord(source: string, raw: unknown): InadRecord {
  const parsed = InadRecordSchema.safeParse(raw);
  if (!parsed.success) throw new RegistryError(source, true, 'risposta INAD non valida (domicilio digitale)', 'malformed');
  return parsed.data;
}

/**
 * The domiciles that are current at `now`. An address whose cessation (CESSAZIONE_UFFICIO or
 * CESSAZIONE_VOLONTARIA) took effect before `now` is not a domicile any more and is dropped;
 * one with a cessation still ahead (a voluntary one takes effect 90 days after it is asked)
 * is kept with validUntil. Nothing left: not found.
 */
export function mapInadRecord(source: string, record: InadRecord, now: number): RegistryAnswer {
  const validFrom = parseInstant(record.since);
  const seen = new Set<string>();
  const addresses: FoundAddress[] = [];
  for (const element of record.digitalAddress ?? []) {
    const pec = element.digitalAddress.trim();
    const endsAt = parseInstant(element.usageInfo?.dateEndValidity);
    if (endsAt !== null && endsAt <= now) continue;
    if (seen.has(pec.toLowerCase())) continue;
    seen.add(pec.toLowerCase());
    const profession = element.practicedProfession?.trim() || null;
    addresses.push({
      pec,
      kind: profession ? 'professionista' : 'persona',
      source,
      label: profession,
      profession,
      validFrom,
      validUntil: endsAt,
    });
  }
  return addresses.length > 0 ? { outcome: 'found', addresses } : { outcome: 'not_found' };
}

/** ISO 8601 (INAD writes yyyy-MM-dd'T'HH:mm:ssZ) as epoch ms; unreadable: null rather than a failed lookup. */
function parseInstant(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
