import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../clock.ts';
import { RegistryError, type RegistryAnswer } from '../registry.ts';
import type { InadApi } from './api.ts';
import { mapInadRecord, parseInadRecord } from './mapping.ts';
import { normalizeTaxId } from '../../taxid/index.ts';

export interface BulkOptions {
  source: string;
  api: InadApi;
  clock: Clock;
  /** Wait before each state check: AgID asks for 10–15 minutes (parlaConINAD2 uses 720 s). */
  pollIntervalMs: number;
  /** State checks before giving up with a transient error (the lookups are asked again later). */
  maxPolls: number;
  signal: AbortSignal;
}

/**
 * One INAD bulk extraction (NONBLOCK_PULL_REST): submit the codes with their shared
 * practicalReference, check the state until INAD answers 303, then fetch the list. Every code
 * gets an answer: codes missing from the list, or listed with empty data, are not found.
 */
export async function extractList(codes: readonly string[], reference: string, o: BulkOptions): Promise<Map<string, RegistryAnswer | Error>> {
  const id = await o.api.submitList(codes, reference, o.signal);
  for (let poll = 1; ; poll++) {
    await sleep(o.pollIntervalMs, o.signal);
    if (await o.api.listReady(id, o.signal)) break;
    if (poll >= o.maxPolls) {
      throw new RegistryError(o.source, true, `elenco INAD ancora in elaborazione dopo ${poll} controlli`, 'bulk_pending');
    }
  }
  const list = await o.api.listResponse(id, o.signal);
  const now = o.clock.now();
  const wanted = new Set(codes);
  const answers = new Map<string, RegistryAnswer | Error>();
  for (const raw of list) {
    try {
      const record = parseInadRecord(o.source, raw);
      // An entry about a code not asked answers nothing (the code asked stays not found): never another person's address.
      const code = record.codiceFiscale ? normalizeTaxId(record.codiceFiscale) : null;
      if (code && wanted.has(code)) answers.set(code, mapInadRecord(o.source, record, now));
    } catch (error) {
      // One broken entry spoils only its own code, if we can tell which it is.
      const code = (raw as { codiceFiscale?: unknown } | null)?.codiceFiscale;
      if (typeof code === 'string' && wanted.has(normalizeTaxId(code))) answers.set(normalizeTaxId(code), error as Error);
    }
  }
  for (const code of codes) if (!answers.has(code)) answers.set(code, { outcome: 'not_found' });
  return answers;
}

/** Waits `ms`; rejects with the signal's reason (not timers' AbortError) when it aborts first. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal.aborted ? signal.reason : error;
  });
}
