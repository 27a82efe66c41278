import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CercapecError, ErrorCode } from '../errors.ts';
import { BreakerSchema, CacheSchema, SourceLimitsSchema } from './source-limits.ts';

export const DEFAULT_ROUTING = {
  cf11: ['directory', 'ipa-mirror', 'ipa-ws23', 'inipec', 'openapi'],
  cf16: ['directory', 'inad', 'inipec', 'openapi'],
} as const;

const SourceId = z.string().regex(/^[a-z][a-z0-9-]*$/);

/** The common part of every source's section; the rest of the section is the source's own options. */
export const CommonSourceSchema = z.object({
  enabled: z.boolean().default(true),
  limits: SourceLimitsSchema.partial().default({}),
  breaker: BreakerSchema.default(BreakerSchema.parse({})),
  cache: CacheSchema.default(CacheSchema.parse({})),
});

export const RegistriesFileSchema = z
  .object({
    /** The order sources are asked in, per kind of code. Unconfigured sources are skipped. */
    routing: z
      .object({
        cf11: z
          .array(SourceId)
          .min(1)
          .default([...DEFAULT_ROUTING.cf11]),
        cf16: z
          .array(SourceId)
          .min(1)
          .default([...DEFAULT_ROUTING.cf16]),
      })
      .strict()
      .default({ cf11: [...DEFAULT_ROUTING.cf11], cf16: [...DEFAULT_ROUTING.cf16] }),
    /** A request still unanswered this long after it was accepted fails with a clear error and a refund. */
    deadlineMinutes: z
      .number()
      .min(1)
      .max(7 * 24 * 60)
      .default(120),
    sources: z.record(SourceId, z.record(z.string(), z.unknown())).default({}),
  })
  .strict();

export type RegistriesFile = z.infer<typeof RegistriesFileSchema>;

export interface LoadedRegistriesFile {
  file: RegistriesFile;
  /** The folder relative paths in the file are resolved against. */
  baseDir: string;
}

/**
 * Reads the registries file (JSON). Any string "env:NAME" is replaced by that environment
 * variable, so secrets need not sit in the file; a missing variable is an error that names it.
 */
export function loadRegistriesFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadedRegistriesFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CercapecError(ErrorCode.invalidArgument, `cannot read the registries file ${path}: ${(error as Error).message}`);
  }
  return { file: parseRegistriesFile(substituteEnv(raw, env, '')), baseDir: dirnameOf(path) };
}

export function parseRegistriesFile(raw: unknown): RegistriesFile {
  const parsed = RegistriesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new CercapecError(ErrorCode.invalidArgument, `registries file: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  return parsed.data;
}

function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, path: string): unknown {
  if (typeof value === 'string' && value.startsWith('env:')) {
    const name = value.slice(4);
    const found = env[name];
    if (found === undefined || found === '') {
      throw new CercapecError(ErrorCode.invalidArgument, `registries file: ${path} names the environment variable ${name}, which is not set`);
    }
    return found;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, path ? `${path}.${k}` : k)]));
  }
  return value;
}

function dirnameOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : path.slice(0, i) || '/';
}
