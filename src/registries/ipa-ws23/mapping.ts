import { normalizePec } from '../../directory/pec-address.ts';
import { RegistryError, type FoundAddress, type RegistryAnswer } from '../registry.ts';

/** WS23's body (specs/ipa-ws23.yaml WS23ResponseDto); every field may be missing in practice. */
export interface Ws23Body {
  result?: { cod_err?: number | string; desc_err?: string; num_items?: number };
  data?: Array<{ domicilio_digitale?: string; tipo?: string; cod_amm?: string; des_amm?: string }> | null;
}

/** cod_err values IPA documents for the CF parameter: missing, empty, malformed. */
const CF_REFUSED = new Set([1, 2, 3]);
/** cod_err values for AUTH_ID: missing, empty, wrong. No code can pass until the configuration changes. */
const AUTH_REFUSED = new Set([900, 901, 902]);

/**
 * What a WS23 answer means for a lookup. IPA answers HTTP 200 and puts the outcome in
 * result.cod_err: 0 with items is found, 0 without items (or a "not in archive" code) is not
 * found, a refused CF or AUTH_ID is permanent, anything else (an unknown code, a body that is
 * not WS23's) is transient: the service is known to be flaky (empty bodies, 500s).
 */
export function mapWs23Body(source: string, body: unknown, notFoundCodes: readonly number[]): RegistryAnswer {
  const b = body as Ws23Body | null;
  const codErr = Number(b?.result?.cod_err);
  if (!b || typeof b !== 'object' || typeof b.result !== 'object' || b.result === null || b.result.cod_err === undefined || !Number.isInteger(codErr)) {
    throw new RegistryError(source, true, 'risposta non valida: manca result.cod_err', 'malformed');
  }
  const desc = String(b.result.desc_err ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  const said = `cod_err ${codErr}${desc ? `: ${desc}` : ''}`;
  if (codErr === 0) return found(source, b.data);
  if (notFoundCodes.includes(codErr)) return { outcome: 'not_found' };
  if (AUTH_REFUSED.has(codErr)) {
    throw new RegistryError(
      source,
      false,
      `IPA ha rifiutato l'AUTH_ID (${said}): controllare l'opzione authId della sorgente ${source} (di solito "env:CERCAPEC_IPA_AUTH_ID")`,
      `ipa_${codErr}`,
    );
  }
  if (CF_REFUSED.has(codErr)) throw new RegistryError(source, false, `IPA ha rifiutato il codice fiscale (${said})`, `ipa_${codErr}`);
  throw new RegistryError(source, true, `errore IPA (${said})`, `ipa_${codErr}`);
}

function found(source: string, data: Ws23Body['data']): RegistryAnswer {
  if (data !== undefined && data !== null && !Array.isArray(data)) {
    throw new RegistryError(source, true, 'risposta non valida: data non è un elenco', 'malformed');
  }
  const addresses: FoundAddress[] = [];
  const seen = new Set<string>();
  // PEC first, then other kinds of domicilio digitale (SERCQ), each in IPA's order.
  const items = [...(data ?? [])].sort((a, b) => Number(!isPec(a?.tipo)) - Number(!isPec(b?.tipo)));
  for (const item of items) {
    const pec = normalizePec(String(item?.domicilio_digitale ?? ''));
    if (!pec || seen.has(pec.toLowerCase())) continue;
    seen.add(pec.toLowerCase());
    addresses.push({ pec, kind: 'ente', source, label: String(item.des_amm ?? '').trim() || null, profession: null });
  }
  return addresses.length > 0 ? { outcome: 'found', addresses } : { outcome: 'not_found' };
}

function isPec(tipo: unknown): boolean {
  return (
    String(tipo ?? '')
      .trim()
      .toLowerCase() === 'pec'
  );
}
