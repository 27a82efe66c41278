import type { PollResult } from './transport.ts';

/** The `stato` column: Italian, like the protocol the customers already read. */
export const Stato = {
  found: 'trovata',
  notFound: 'non trovata',
  /** Refused by the local check; never sent to the server. */
  invalid: 'non valido',
  error: 'errore',
  /**
   * The account already has a request for the code and the client holds no token for it (text
   * protocol: it cannot return an existing request's token). Nothing was charged; `--rebuy`
   * deletes the request and buys the code again.
   */
  alreadyRequested: 'già richiesta',
  /** Only in output written before an answer arrived (not by a completed run). */
  pending: 'in attesa',
} as const;
export type Stato = (typeof Stato)[keyof typeof Stato];

/** What the client reports for one code: the columns it adds to every row. */
export interface Answer {
  stato: Stato;
  pec: string;
  /** Who answered: the registry when the protocol names it, else the server; "validazione locale". */
  fonte: string;
  errore: string;
}

export const LOCAL_CHECK = 'validazione locale';

export function invalidAnswer(reason: string): Answer {
  return { stato: Stato.invalid, pec: '', fonte: LOCAL_CHECK, errore: `Codice fiscale non valido: ${reason}` };
}

export function errorAnswer(message: string, fonte: string): Answer {
  return { stato: Stato.error, pec: '', fonte, errore: message };
}

/** What a row says when the server already has a request for its code and we have no token for it. */
export function alreadyRequestedAnswer(fonte: string): Answer {
  return {
    stato: Stato.alreadyRequested,
    pec: '',
    fonte,
    errore:
      'Richiesta già presente: il codice è già stato richiesto con questa chiave e il protocollo testuale non restituisce ' +
      "l'esito di una richiesta esistente; nulla è stato addebitato. Usare --protocol json per riaverne l'esito, " +
      'oppure --rebuy per cancellarla e richiederla (addebitata di nuovo)',
  };
}

/** A final poll answer (anything but WAIT) as the columns of the rows with that code. */
export function answerFromPoll(result: Exclude<PollResult, { kind: 'wait' }>, server: string): Answer {
  switch (result.kind) {
    case 'found':
      return { stato: Stato.found, pec: result.pec, fonte: result.source ?? server, errore: '' };
    case 'notFound':
      return { stato: Stato.notFound, pec: '', fonte: result.source ?? server, errore: '' };
    case 'error':
      return errorAnswer(result.message, server);
  }
}
