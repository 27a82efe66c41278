import { z } from 'zod';

/** Longest query, in characters: names are short. */
export const MAX_QUERY_LENGTH = 200;
/** Most results per page. */
export const MAX_SEARCH_LIMIT = 100;

export const SearchQuerySchema = z.object({
  q: z
    .string()
    .min(1)
    .max(MAX_QUERY_LENGTH)
    .describe('Words of the name, in any order; accents, case and punctuation do not matter; each word matches as a prefix'),
  province: z
    .string()
    .regex(/^[A-Za-z]{2}$/)
    .optional()
    .describe('Province abbreviation (GE, RM): IPA bodies only'),
  category: z
    .string()
    .regex(/^[A-Za-z0-9]{1,10}$/)
    .optional()
    .describe('IPA category code (L6: comuni)'),
  limit: z.coerce.number().int().min(1).max(MAX_SEARCH_LIMIT).default(20),
  cursor: z.string().max(200).optional(),
});

export const NameResultSchema = z
  .object({
    code: z.string().describe('Codice fiscale'),
    ipaCode: z.string().nullable().describe('Codice IPA (public bodies)'),
    name: z.string(),
    place: z.object({
      municipalityCode: z.string().nullable().describe('ISTAT code of the municipality'),
      province: z.string().nullable(),
      postcode: z.string().nullable(),
      address: z.string().nullable(),
    }),
    category: z.string().nullable().describe('IPA category code'),
    source: z.object({ type: z.enum(['ipa', 'dataset']), name: z.string().describe('ipa-mirror, or the dataset name') }),
    pecs: z.array(z.object({ pec: z.string(), kind: z.string(), source: z.string() })),
  })
  .meta({ id: 'NameResult' });

export const SearchPageSchema = z
  .object({
    items: z.array(NameResultSchema),
    nextCursor: z.string().nullable().describe('Pass as ?cursor= (with the same q and filters) for the next page; null on the last one'),
  })
  .meta({ id: 'SearchPage' });

/** Search cursors are the offset of the next page (ranked results have no stable key to page by). */
export function encodeSearchCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

export function decodeSearchCursor(cursor: string): number | null {
  const m = /^o:(\d{1,6})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : null;
}
