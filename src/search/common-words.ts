/**
 * Words so common in the names of Italian bodies and companies that they say little about which
 * one is meant: articles and prepositions, and the kind of body ("comune", "azienda"). A query
 * does not require them when it has other words, and a match on them weighs a tenth of a match
 * on another word: "comune di rezzoaglio" is answered as "rezzoaglio", with the Comune first.
 */
export const COMMON_WORDS: ReadonlySet<string> = new Set([
  // articles, prepositions and their contractions, conjunctions
  'a', 'ad', 'ai', 'al', 'alla', 'alle', 'allo', 'agli', 'con', 'd', 'da', 'dal', 'dalla', 'dei', 'del', 'della',
  'delle', 'dello', 'degli', 'di', 'e', 'ed', 'gli', 'i', 'il', 'in', 'l', 'la', 'le', 'lo', 'nei', 'nel', 'nella',
  'per', 's', 'su', 'sul', 'sulla', 'un', 'una', 'uno',
  // kinds of body and company
  'comune', 'provincia', 'regione', 'citta', 'metropolitana', 'unione', 'comuni', 'consorzio', 'azienda',
  'aziende', 'istituto', 'ente', 'enti', 'ordine', 'collegio', 'camera', 'agenzia', 'universita', 'scuola',
  'statale', 'comprensivo', 'pubblica', 'pubblico', 'sanitaria', 'locale', 'servizi', 'spa', 'srl', 'snc', 'sas',
]);

export function isCommonWord(word: string): boolean {
  return COMMON_WORDS.has(word);
}
