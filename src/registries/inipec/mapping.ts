import { RegistryError, type FoundAddress, type RegistryAnswer } from '../registry.ts';
import { normalizeTaxId } from '../../taxid/index.ts';

/** getElencoPec's answer while InfoCamere is still preparing the list. */
export const IN_PROGRESS_CODE = 'WSPA_ERR_05';

/** InfoCamere's error fields: any of them set means the body is an error, not data (as PagoPA SEND reads it). */
export interface InfoCamereErrorFields {
  code?: unknown;
  description?: unknown;
  appName?: unknown;
  timestamp?: unknown;
}

export function errorCodeOf(body: InfoCamereErrorFields): string | null {
  const set = (v: unknown) => typeof v === 'string' && v !== '';
  if (!set(body.code) && !set(body.description) && !set(body.appName) && !set(body.timestamp)) return null;
  return set(body.code) ? String(body.code) : 'unknown';
}

interface PecEntry {
  cf?: unknown;
  pecImpresa?: unknown;
  pecProfessionista?: unknown;
}

/**
 * One answer per code asked: pecImpresa as kind impresa, each pecProfessionista as kind
 * professionista. A code absent from elencoPec, or listed with no address, is not found.
 * The same address under both kinds is kept once, as the company's (the first).
 */
export function answersFromElenco(source: string, codes: readonly string[], elencoPec: unknown): Map<string, RegistryAnswer> {
  if (!Array.isArray(elencoPec)) throw new RegistryError(source, true, 'risposta non valida: elencoPec mancante', 'malformed');
  const byCode = new Map<string, FoundAddress[]>();
  for (const entry of elencoPec as PecEntry[]) {
    if (!entry || typeof entry.cf !== 'string') continue;
    // Answers are matched to the codes asked by this field: an entry about another code answers nothing.
    const cf = normalizeTaxId(entry.cf);
    const list = byCode.get(cf) ?? [];
    const add = (pec: unknown, kind: FoundAddress['kind']) => {
      const address = typeof pec === 'string' ? pec.trim() : '';
      if (!address.includes('@') || list.some((a) => a.pec.toLowerCase() === address.toLowerCase())) return;
      list.push({ pec: address, kind, source, label: null, profession: null, validFrom: null, validUntil: null });
    };
    add(entry.pecImpresa, 'impresa');
    if (Array.isArray(entry.pecProfessionista)) {
      for (const p of entry.pecProfessionista as Array<{ pec?: unknown } | null>) add(p?.pec, 'professionista');
    }
    byCode.set(cf, list);
  }
  return new Map(
    codes.map((code) => {
      const addresses = byCode.get(normalizeTaxId(code)) ?? [];
      return [code, addresses.length > 0 ? { outcome: 'found', addresses } : { outcome: 'not_found' }];
    }),
  );
}
