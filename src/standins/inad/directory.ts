import type { StandinDataset } from '../dataset.ts';

/** A cessation as INAD tells it in usageInfo. */
export interface Cessation {
  motivation: 'CESSAZIONE_UFFICIO' | 'CESSAZIONE_VOLONTARIA';
  /** Epoch ms. */
  endsAt: number;
}

export interface InadEntry {
  cf: string;
  /** ISO 8601, as INAD writes it. */
  since: string;
  addresses: Array<{ pec: string; profession: string | null; cessation: Cessation | null }>;
}

const DAY = 86_400_000;
/** INAD opened to citizens on 6 July 2023. */
const OPENED = Date.UTC(2023, 6, 6, 8, 0, 0);

/**
 * What the INAD stand-in holds: the dataset's persons (the ceased ones with a cessation that
 * took effect 30 days before `now`, and every 23rd other one with a voluntary cessation that
 * takes effect 60 days after it) and its professionals (each address with practicedProfession).
 * Companies and enti are not in INAD.
 */
export function inadDirectory(dataset: StandinDataset, now: number): Map<string, InadEntry> {
  const entries = new Map<string, InadEntry>();
  dataset.persons.forEach((p, i) => {
    const cessation: Cessation | null = p.ceased
      ? { motivation: 'CESSAZIONE_UFFICIO', endsAt: now - 30 * DAY }
      : i % 23 === 7
        ? { motivation: 'CESSAZIONE_VOLONTARIA', endsAt: now + 60 * DAY }
        : null;
    entries.set(p.cf, { cf: p.cf, since: isoSeconds(OPENED + i * DAY), addresses: [{ pec: p.pec, profession: null, cessation }] });
  });
  dataset.professionals.forEach((p, i) => {
    entries.set(p.cf, {
      cf: p.cf,
      since: isoSeconds(OPENED + (i + 7) * DAY),
      addresses: p.pecs.map((pec) => ({ pec, profession: p.profession, cessation: null })),
    });
  });
  return entries;
}

/**
 * An entry as Response_Request_Digital_Address. usageInfo is only sent with a cessation, as
 * production clients expect (the spec lists it as required; PagoPA SEND reads a missing one as
 * "no cessation").
 */
export function inadRecord(entry: InadEntry): Record<string, unknown> {
  return {
    codiceFiscale: entry.cf,
    since: entry.since,
    digitalAddress: entry.addresses.map((a) => ({
      digitalAddress: a.pec,
      ...(a.profession ? { practicedProfession: a.profession } : {}),
      ...(a.cessation ? { usageInfo: { motivation: a.cessation.motivation, dateEndValidity: isoSeconds(a.cessation.endsAt) } } : {}),
    })),
  };
}

/** yyyy-MM-dd'T'HH:mm:ssZ, INAD's format. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
