import { z } from 'zod';

export const WatchAddSchema = z
  .object({
    codes: z.array(z.string().max(64)).min(1).max(10_000).describe('Codici fiscali or partite IVA to watch (at most 10,000 a call)'),
    reference: z.string().max(200).optional().describe('A note of yours, shown with the watch'),
  })
  .strict()
  .meta({ id: 'WatchAdd' });

export const WatchAddResultSchema = z
  .object({
    added: z.number().int().describe('Codes watched from now on'),
    alreadyWatched: z.number().int().describe('Codes the account already watched (left as they were)'),
    rejected: z.array(z.object({ input: z.string(), reason: z.string(), message: z.string() })).describe("Invalid codes, with the text protocol's reason"),
    chargedCents: z.number().int().describe('The first month of the new watches, charged now'),
  })
  .meta({ id: 'WatchAddResult' });

export const WatchSchema = z
  .object({
    code: z.string(),
    kind: z.enum(['cf16', 'cf11']),
    reference: z.string().nullable(),
    createdAt: z.string(),
    pec: z.string().nullable().describe('The current address as the history knows it (the directory first), or null'),
    source: z.string().nullable().describe('The source of that address'),
  })
  .meta({ id: 'Watch' });

export const WatchListSchema = z.object({ items: z.array(WatchSchema), nextCursor: z.string().nullable() }).meta({ id: 'WatchList' });

export const HistoryEntrySchema = z
  .object({
    source: z.string(),
    pec: z.string().nullable().describe('null: the source had no address for the code'),
    kind: z.string().nullable(),
    firstObservedAt: z.string(),
    lastObservedAt: z.string(),
    validFrom: z.string().describe('Start of the span this answer vouches for (the validity the source states, else when first seen)'),
    validTo: z.string().nullable().describe('End of that span; null while it is the current answer of a local source'),
    current: z.boolean().describe("Whether it is still the source's latest answer"),
  })
  .meta({ id: 'HistoryEntry' });

export const WatchDetailSchema = WatchSchema.extend({ history: z.array(HistoryEntrySchema).describe('The code’s addresses over time, oldest first') }).meta({
  id: 'WatchDetail',
});

export const WatchEventSchema = z
  .object({
    id: z.string(),
    type: z.enum(['pec.added', 'pec.changed', 'pec.removed']),
    code: z.string(),
    before: z.string().nullable(),
    after: z.string().nullable(),
    source: z.string(),
    at: z.string(),
  })
  .meta({ id: 'WatchEvent' });

export const WatchEventListSchema = z
  .object({
    items: z.array(WatchEventSchema),
    nextCursor: z.string().nullable().describe('Pass it back to resume: also on the last page, where it returns only later events'),
  })
  .meta({ id: 'WatchEventList' });

export const VerificationSchema = z
  .object({
    outcome: z.enum(['match', 'no_match', 'unknown']),
    evidence: z.array(
      z.object({
        source: z.string(),
        pec: z.string().nullable(),
        matches: z.boolean(),
        observedAt: z.string(),
        validFrom: z.string().nullable(),
        validTo: z.string().nullable(),
        error: z.string().optional().describe('set when the source could not be asked (INAD failed, omocodic code): the item counts for nothing'),
      }),
    ),
    chargedCents: z.number().int(),
  })
  .meta({ id: 'Verification' });
