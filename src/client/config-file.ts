import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ClientError, ClientErrorCode } from './client-error.ts';

/** What `client.json` holds. Both fields optional: flags and env can supply the rest. */
export interface ConfigFile {
  server?: string;
  key?: string;
  /** text, json or auto. */
  protocol?: string;
}

/** `$XDG_CONFIG_HOME/cercapec/client.json`, else `~/.config/cercapec/client.json`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv, home: string): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== '' ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'cercapec', 'client.json');
}

/**
 * Reads a config file. A missing file is `null` when it is the default path (nothing was
 * configured) and an error when the user named it with --config.
 */
export async function readConfigFile(path: string, named: boolean, warn: (line: string) => void): Promise<ConfigFile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !named) return null;
    throw new ClientError(ClientErrorCode.config, `cannot read the config file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ClientError(ClientErrorCode.config, `the config file ${path} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ClientError(ClientErrorCode.config, `the config file ${path} must hold a JSON object like {"server": "...", "key": "..."}`);
  }
  const { server, key, protocol } = parsed as Record<string, unknown>;
  for (const [name, value] of Object.entries({ server, key, protocol })) {
    if (value !== undefined && typeof value !== 'string') throw new ClientError(ClientErrorCode.config, `"${name}" in ${path} must be a string`);
  }
  // The file holds the API key: say so when others can read it (ssh does the same for keys).
  const mode = (await stat(path)).mode & 0o777;
  if (key !== undefined && (mode & 0o077) !== 0) warn(`warning: ${path} is readable by others (mode ${mode.toString(8)}); run chmod 600 ${path}`);
  return { server: server as string | undefined, key: key as string | undefined, protocol: protocol as string | undefined };
}

/** Writes the file with mode 0600 (folder 0700), atomically: a crash leaves the old file or the new. */
export async function writeConfigFile(path: string, config: ConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // mode above applies only when the file is created; chmod covers a leftover tmp file.
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
