import { sleep } from './backoff.ts';
import type { ClientConfig } from './client-config.ts';
import { createRateGate } from './rate-gate.ts';
import { createTextTransport } from './text-transport.ts';
import type { Transport } from './transport.ts';

/**
 * The transport a configuration names. Only the text protocol today; the JSON API (`/v1`) will
 * be chosen here, from the URL or a setting, and nothing else in the client has to change.
 */
export function createTransport(config: ClientConfig, now: () => number = Date.now): Transport {
  return createTextTransport({ endpoint: config.endpoint, key: config.key, gate: createRateGate(now, sleep), now });
}
