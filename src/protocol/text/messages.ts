import type { ErrorCode } from '../../errors.ts';

/**
 * The text protocol's own words (Italian, as the original). POST answers start with `Error|`,
 * GET answers with `ERROR|`: the same case difference as the original service.
 */
export type Method = 'GET' | 'POST';

export const Messages = {
  keyMissing: 'Parametro key mancante',
  keyInvalid: 'Chiave non valida o disabilitata',
  codeMissing: 'Parametro cf mancante',
  codeDeleteMissing: 'Parametro cf-delete mancante',
  codeInvalid: (why: string) => `Codice fiscale non valido: ${why}`,
  duplicate: 'Richiesta già presente',
  insufficientCredit: 'Credito insufficiente',
  tokenMissing: 'Parametro token mancante',
  tokenUnknown: 'Token sconosciuto',
  noRequestForCode: 'Nessuna richiesta presente per questo codice',
  cancelledOk: 'richiesta cancellata correttamente',
  cancelled: 'Richiesta cancellata',
  failed: 'Ricerca non riuscita per un errore tecnico; importo rimborsato',
  deadlineExceeded: 'Ricerca non conclusa entro il tempo massimo; importo rimborsato',
  found: 'pec trovata',
  notFound: 'pec non trovata',
  operationMissing: 'Operazione mancante: inviare cf, cf-delete o saldo',
  operationAmbiguous: 'Richiesta ambigua: inviare uno solo tra cf, cf-delete e saldo',
  pollNeedsGet: "Per conoscere l'esito usare il metodo GET con key e token",
  postOnly: (field: string) => `Metodo non consentito: per ${field} usare il metodo POST`,
  methodNotAllowed: 'Metodo non consentito: usare GET o POST',
  unknownPath: 'Indirizzo non trovato: il servizio risponde su /index_ws.php',
  fieldRepeated: (field: string) => `Parametro ${field} ripetuto`,
  fieldTooLong: (field: string) => `Parametro ${field} troppo lungo`,
  tooMany: 'Troppe richieste, riprova più tardi',
  bodyTooLarge: 'Richiesta troppo grande',
  badBody: 'Corpo della richiesta non leggibile',
  filesNotAllowed: 'File non ammessi: inviare solo campi di testo',
  internal: 'Errore interno, riprovare più tardi',
} as const;

export function errorLine(method: Method, message: string): string {
  return `${method === 'GET' ? 'ERROR' : 'Error'}|${message}`;
}

/** Map of typed error codes to messages, for errors raised by the services. */
export function messageForCode(code: ErrorCode, detail: string): string {
  switch (code) {
    case 'key_missing':
      return Messages.keyMissing;
    case 'key_invalid':
      return Messages.keyInvalid;
    case 'code_missing':
      return Messages.codeMissing;
    case 'code_invalid':
      return Messages.codeInvalid(detail);
    case 'duplicate_request':
      return Messages.duplicate;
    case 'insufficient_credit':
      return Messages.insufficientCredit;
    case 'token_missing':
      return Messages.tokenMissing;
    case 'token_unknown':
      return Messages.tokenUnknown;
    case 'no_request_for_code':
      return Messages.noRequestForCode;
    case 'rate_limited':
      return Messages.tooMany;
    default:
      return Messages.internal;
  }
}
