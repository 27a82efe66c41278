/**
 * The words of the login's second step (`form#totp`), the same in the back office and the
 * portal: each part spreads them into its own messages.
 */
export const codeMessagesIt = {
  codeTitle: 'Codice di verifica',
  codeLabel: 'Codice',
  codeHint: "Le 6 cifre che mostra ora l'app di autenticazione, oppure uno dei codici di recupero.",
  codeButton: 'Verifica',
  codeInvalid: 'Codice errato o già usato.',
  codeExpired: 'Verifica scaduta (dopo 5 minuti o troppi codici errati): accedi di nuovo.',
};

export const codeMessagesEn: typeof codeMessagesIt = {
  codeTitle: 'Verification code',
  codeLabel: 'Code',
  codeHint: 'The 6 digits your authenticator app shows now, or one of your recovery codes.',
  codeButton: 'Verify',
  codeInvalid: 'Wrong code, or one already used.',
  codeExpired: 'Verification expired (after 5 minutes or too many wrong codes): log in again.',
};
