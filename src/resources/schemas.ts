import { z } from 'zod';

/**
 * The JSON API's shapes, in one place: the same schemas validate requests, serialise responses
 * and generate /openapi.json, so the document cannot drift from the code.
 */
export const LookupStatusSchema = z
  .enum(['queued', 'running', 'waiting_operator', 'found', 'not_found', 'failed', 'cancelled'])
  .describe(
    'queued/running/waiting_operator: not answered yet; found/not_found: answered; failed: a technical failure (refunded); cancelled: deleted before it was answered (refunded)',
  );

export const AddressSchema = z
  .object({
    pec: z.string().describe('The PEC address'),
    source: z.string().describe('The source that gave it (directory, ipa, inipec, inad, ...)'),
    kind: z.string().describe('impresa, professionista, ente, persona or sconosciuto'),
    label: z.string().nullable().describe('A name beside the address (denominazione), when known'),
    datasetId: z.string().nullable().describe('For the local directory: the dataset that held it'),
    profession: z.string().nullable().describe('The profession the address is registered for (INI-PEC professionals, INAD), when given'),
    validFrom: z.string().nullable().describe('Since when it is the domicile (ISO 8601), when the registry says'),
    validUntil: z.string().nullable().describe('When it stops being the domicile (a notified cessation), when the registry says'),
    foundAt: z.string().describe('When it was found (ISO 8601)'),
  })
  .meta({ id: 'Address' });

export const LookupSchema = z
  .object({
    id: z.string().describe("The lookup's id; the same value is the text protocol's token"),
    code: z.string().describe('The normalised codice fiscale or partita IVA'),
    kind: z.enum(['cf16', 'cf11']).describe('cf16: a person; cf11: 11 digits (company codice fiscale or partita IVA)'),
    status: LookupStatusSchema,
    pec: z.string().nullable().describe('The primary address, or null'),
    addresses: z.array(AddressSchema),
    reference: z.string().nullable().describe("Purpose of the lookup (INAD's practicalReference)"),
    callbackUrl: z.string().nullable(),
    createdAt: z.string(),
    answeredAt: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'Lookup' });

export const NewLookupSchema = z
  .object({
    code: z.string().min(1).max(64).describe('Codice fiscale or partita IVA, in any usual spelling (spaces, IT prefix, lower case)'),
    reference: z.string().min(1).max(200).optional().describe("Purpose of the lookup (INAD's practicalReference); defaults to the account's"),
    callbackUrl: z.string().max(2000).optional().describe('http(s) URL to POST the lookup to when it is answered'),
  })
  .strict()
  .meta({ id: 'NewLookup' });

export const LookupListSchema = z
  .object({
    items: z.array(LookupSchema),
    nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last one'),
  })
  .meta({ id: 'LookupList' });

export const AccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    billingMode: z.enum(['prepaid', 'postpaid']),
    priceCents: z.number().int(),
    creditLimitCents: z.number().int().nullable(),
    balanceCents: z.number().int().describe('Negative when a postpaid account owes'),
    balance: z.string().describe('The balance in euro as the text protocol prints it, e.g. "12.50"'),
  })
  .meta({ id: 'Account' });

export const LedgerEntrySchema = z
  .object({
    id: z.string(),
    kind: z.enum(['topup', 'adjustment', 'charge', 'refund', 'search']),
    amountCents: z.number().int(),
    lookupId: z.string().nullable(),
    reason: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'LedgerEntry' });

export const LedgerPageSchema = z.object({ items: z.array(LedgerEntrySchema), nextCursor: z.string().nullable() }).meta({ id: 'LedgerPage' });

export const UsageSchema = z
  .object({
    month: z.string(),
    lookups: z.number().int().describe('Lookups accepted in the month'),
    byStatus: z.record(z.string(), z.number().int()),
    chargedCents: z.number().int().describe('Charges minus refunds booked in the month'),
  })
  .meta({ id: 'Usage' });

export const ProblemSchema = z
  .object({
    type: z.string().describe('A stable URI reference naming the problem; see the table in docs/json-api.md'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string().describe('The stable error code'),
  })
  .meta({ id: 'Problem' });

export const IdParams = z.object({ id: z.string().min(1).max(64) });
