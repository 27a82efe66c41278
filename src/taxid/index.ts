/** Italian codice fiscale / partita IVA validation (rules in TAXID.md). */
export { validateTaxId } from './validate.ts';
export type { CodeKind, InvalidReason, TaxIdProblem, TaxIdResult } from './validate.ts';
export { normalizeTaxId } from './normalize.ts';
export { cf16CheckChar, validateCf16 } from './cf16.ts';
export { cf11CheckDigit, officeCodeInVatRange, validateCf11 } from './cf11.ts';
