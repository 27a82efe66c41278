import { sleep } from './backoff.ts';
import type { ClientConfig } from './client-config.ts';
import { createRateGate } from './rate-gate.ts';
import { createTextTransport } from './text-transport.ts';
import type { Transport } from './transport.ts';
import { createJsonTransport, offersJsonApi } from './json-transport.ts';

/**
 * The transport a configuration names: the text protocol (works with any trovapec-compatible
 * server), cercapec's JSON API, or `auto`, which asks the server once (GET /openapi.json) on the
 * first call and uses the JSON API when it is there.
 */
export function createTransport(config: ClientConfig, now: () => number = Date.now): Transport {
  const text = () => createTextTransport({ endpoint: config.endpoint, key: config.key, gate: createRateGate(now, sleep), now });
  const json = () => createJsonTransport({ baseUrl: config.endpoint, key: config.key });
  if (config.protocol === 'text') return text();
  if (config.protocol === 'json') return json();
  let chosen: Promise<Transport> | null = null;
  const pick = () => (chosen ??= offersJsonApi(config.endpoint, config.key).then((yes) => (yes ? json() : text())));
  return {
    name: new URL(config.endpoint).host,
    submit: async (code) => (await pick()).submit(code),
    poll: async (token) => (await pick()).poll(token),
    cancel: async (code) => (await pick()).cancel(code),
    balance: async () => (await pick()).balance(),
    bulk: async () => (await (await pick()).bulk?.()) ?? null,
  };
}
