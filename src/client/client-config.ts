import { ClientError, ClientErrorCode } from './client-error.ts';
import { defaultConfigPath, readConfigFile } from './config-file.ts';

/** Where the client sends requests and with which key. */
export interface ClientConfig {
  /** The full URL of the text protocol endpoint. */
  endpoint: string;
  key: string;
  /** text: /index_ws.php (any trovapec-compatible server); json: cercapec's /v1; auto: json when the server offers it. */
  protocol: 'text' | 'json' | 'auto';
}

export interface ConfigSources {
  flags: { server?: string; key?: string; config?: string; protocol?: string };
  env: NodeJS.ProcessEnv;
  home: string;
  warn: (line: string) => void;
}

/** Flags win over CERCAPEC_SERVER / CERCAPEC_KEY, which win over the config file. */
export async function resolveClientConfig(sources: ConfigSources): Promise<ClientConfig> {
  const { flags, env } = sources;
  const path = flags.config ?? defaultConfigPath(env, sources.home);
  const file = (await readConfigFile(path, flags.config !== undefined, sources.warn)) ?? {};
  const server = pick(flags.server, env.CERCAPEC_SERVER, file.server);
  const key = pick(flags.key, env.CERCAPEC_KEY, file.key);
  if (server === undefined) {
    throw new ClientError(ClientErrorCode.config, 'no server configured: pass --server URL, set CERCAPEC_SERVER, or run `cercapec client init`');
  }
  if (key === undefined) {
    throw new ClientError(ClientErrorCode.config, 'no API key configured: pass --key KEY, set CERCAPEC_KEY, or run `cercapec client init`');
  }
  const protocol = pick(flags.protocol, env.CERCAPEC_PROTOCOL, file.protocol) ?? 'auto';
  if (protocol !== 'text' && protocol !== 'json' && protocol !== 'auto') {
    throw new ClientError(ClientErrorCode.config, `the protocol must be text, json or auto, got ${JSON.stringify(protocol)}`);
  }
  return { endpoint: endpointOf(server), key, protocol };
}

function pick(...values: (string | undefined)[]): string | undefined {
  return values.map((v) => v?.trim()).find((v) => v !== undefined && v !== '');
}

/**
 * `http://host:8080` and `http://host:8080/index_ws.php` both name the service: a URL whose path
 * ends in `.php` is used as it is, anything else gets `/index_ws.php` appended.
 */
export function endpointOf(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ClientError(ClientErrorCode.config, `the server must be a URL like http://127.0.0.1:8080, got ${JSON.stringify(server)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ClientError(ClientErrorCode.config, `the server URL must start with http:// or https://, got ${JSON.stringify(server)}`);
  }
  if (!url.pathname.endsWith('.php')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/index_ws.php`;
  url.search = '';
  url.hash = '';
  return url.href;
}
