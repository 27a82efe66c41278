import type { FaultMode } from '../../src/standins/standin-server.ts';

/**
 * The faults every registry client must report as transient (so the lookup is retried, never
 * answered "not found"), each with the Italian words its error carries.
 */
export const TRANSIENT_FAULTS: ReadonlyArray<[FaultMode, RegExp]> = [
  ['429', /HTTP 429/],
  ['500', /HTTP 500/],
  ['503', /HTTP 503/],
  ['reset', /errore di rete/],
  ['garbage', /risposta non valida/],
  ['hang', /tempo scaduto/],
];
