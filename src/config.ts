import { z } from 'zod';
import { serverLimitProblems } from './security/server-limits.ts';

/**
 * The whole configuration, validated once at start. Sources, later ones winning: defaults,
 * CERCAPEC_* environment variables, command-line flags.
 */
/** "false", "0", "no", "off" and "" are false: z.coerce.boolean() would call "false" true. */
const envBoolean = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const text = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off', ''].includes(text)) return false;
  return v;
}, z.boolean());

export const ConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('./data'),
  /** postgres://... moves the store to PostgreSQL; unset means the embedded SQLite file. */
  databaseUrl: z.string().optional(),
  /** PostgreSQL schema to work in (created if missing); default: the server's search_path. */
  databaseSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'lower-case letters, digits and _')
    .optional(),
  databasePoolSize: z.coerce.number().int().min(1).max(200).default(10),
  /** PostgreSQL statement_timeout; 0 leaves the server's setting. */
  databaseStatementTimeoutMs: z.coerce.number().int().min(0).default(30_000),
  /** api: protocol only; worker: processing only; all: both in one process. */
  role: z.enum(['api', 'worker', 'all']).default('all'),
  workerConcurrency: z.coerce.number().int().min(1).max(256).default(8),
  /** Lease of a claimed job; a heartbeat renews it every third of it. A killed worker's jobs return after this. */
  leaseMs: z.coerce.number().int().min(100).default(30_000),
  pollIntervalMs: z.coerce.number().int().min(10).default(1000),
  /** Tries of a lookup job before it fails for good; the registries' deadline usually ends it first. */
  maxAttempts: z.coerce.number().int().min(1).max(1000).default(30),
  backoffBaseMs: z.coerce.number().int().min(1).default(1000),
  /** Requests per minute per API key and per client address; 0 turns the limit off. */
  rateLimitPerKey: z.coerce.number().int().min(0).default(3000),
  rateLimitPerIp: z.coerce.number().int().min(0).default(6000),
  bodyLimitBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Answer from the local directory while accepting a request when it can (a hit, or a miss when
   * the directory is the whole chain), instead of through the queue.
   */
  inlineAnswers: envBoolean.default(true),
  /** Requests (and the personal data in them) are deleted this many days after creation; 0 keeps them. The ledger is kept. */
  retentionDays: z.coerce.number().int().min(0).default(90),
  /**
   * How often watched codes are asked again of each remote source, `source=hours` separated by
   * commas (docs/watches.md); local sources are re-checked when their data change instead.
   */
  watchRecheckHours: z
    .string()
    .regex(/^\s*([a-z0-9-]+=\d+(\.\d+)?\s*(,\s*|$))*$/, 'source=hours, comma separated')
    .default('inad=24,inipec=168'),
  /** Longest long poll of the JSON API (?wait=), in seconds. */
  maxWaitSeconds: z.coerce.number().int().min(1).max(300).default(60),
  /** Allow webhook callbacks to loopback and private addresses (development only). */
  allowPrivateCallbacks: envBoolean.default(false),
  /** Most data rows one batch upload may have (POST /v1/batches); more is a 413. */
  batchMaxRows: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  /** Largest batch upload in bytes (the streamed body, whatever its format); more is a 413. */
  batchMaxBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .default(50 * 1024 * 1024),
  /** Trust X-Forwarded-For (behind a load balancer). */
  trustProxy: envBoolean.default(false),
  /**
   * Answer the text protocol's common requests (GET polls, small urlencoded POSTs) before
   * Fastify, with the same answers (src/protocol/text/fast-path.ts); false sends every request
   * through Fastify's routes.
   */
  textFastPath: envBoolean.default(true),
  /** The registries file (JSON, docs/registries.md); unset: the local directory is the only source. */
  registriesFile: z.string().min(1).optional(),
  /** How long an API key's account is remembered per process (revocations and price changes take this long); 0 asks the store every time. */
  keyCacheMs: z.coerce.number().int().min(0).max(300_000).default(60_000),
  /** When set, /metrics and /healthz/sources want `Authorization: Bearer <token>`. */
  metricsToken: z.string().min(16).optional(),
  // --- webhooks (docs/webhooks.md) ---
  /** One delivery attempt: connecting, sending and the response. */
  webhookTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Failed deliveries are retried with backoff until the next attempt would fall this long after the event. */
  webhookRetryWindowMs: z.coerce.number().int().min(0).default(86_400_000),
  /** Backoff between attempts: min(cap, base * 2^(n-1)) with jitter (50-100%). */
  webhookBackoffBaseMs: z.coerce.number().int().min(1).default(10_000),
  webhookBackoffCapMs: z.coerce.number().int().min(1).default(3_600_000),
  /** Deliveries one worker process makes at once. */
  webhookConcurrency: z.coerce.number().int().min(1).max(256).default(8),
  // --- end webhooks ---
  // --- hardening (docs/limits.md): HTTP server timeouts and sizes, failed-authentication throttle ---
  /** Longest time to receive a whole request (headers and body); a slower client gets 408. */
  requestTimeoutMs: z.coerce.number().int().min(1000).default(120_000),
  /** Longest time to receive the request headers (slowloris); at most requestTimeoutMs. */
  headersTimeoutMs: z.coerce.number().int().min(500).default(20_000),
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: z.coerce.number().int().min(100).default(10_000),
  /** A socket with no traffic either way is closed after this; 0 never. Must exceed the longest long poll. */
  connectionTimeoutMs: z.coerce.number().int().min(0).default(120_000),
  /** Largest request line plus headers; more is a 431. */
  maxHeaderBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024)
    .default(16 * 1024),
  /** Unknown keys and unknown tokens from one client address per minute before it is answered 429; 0 turns it off. */
  authFailuresPerMinute: z.coerce.number().int().min(0).default(20),
  /** XLSX batches: the most bytes the zip may inflate to (every part read); more is a 413. */
  batchMaxInflatedBytes: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(200 * 1024 * 1024),
  /** XLSX batches read at once per process (each may hold 100-200 MB while it inflates); the others wait, then get 503. */
  batchXlsxConcurrency: z.coerce.number().int().min(1).max(64).default(2),
  /** How long an XLSX upload waits for a parse slot before it is answered 503 with Retry-After. */
  batchXlsxWaitMs: z.coerce.number().int().min(0).max(600_000).default(5_000),
  // --- end hardening ---
  // --- back office (docs/back-office.md) ---
  /** A back-office session ends after this many minutes without a page view. */
  adminSessionIdleMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  /** ...and this many hours after login, whatever the activity. */
  adminSessionMaxHours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  /** Failed logins for one username from one address before attempts from there are slowed down (0 turns the throttle off): src/users/login-throttle.ts. */
  adminLockoutFailures: z.coerce.number().int().min(0).max(1000).default(5),
  adminLockoutMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  /** Login attempts per minute per client address (bursts up to 10): each costs a scrypt hash. 0 turns it off. */
  adminLoginsPerMinute: z.coerce.number().int().min(0).default(20),
  /**
   * scrypt cost of back-office passwords, as a power of two: 15 (N = 2^15, 32 MiB) takes 157 ms a
   * hash on the 2-core development machine, each step doubles it. Stored hashes keep their own.
   */
  passwordHashCost: z.coerce.number().int().min(10).max(20).default(15),
  /** How long an operator holds a claimed request; every page view of it renews the lease. */
  operatorLeaseMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(10),
  /** The dashboard lists active prepaid accounts whose balance is below this many cents (10 €); `?below=` on the page overrides it. */
  lowBalanceCents: z.coerce.number().int().min(0).max(1_000_000_000).default(1000),
  // --- end back office ---
});

export type Config = z.infer<typeof ConfigSchema>;

/**
 * The environment variable of a setting: CERCAPEC_ and the key in upper snake case
 * (databaseUrl -> CERCAPEC_DATABASE_URL). Every key of ConfigSchema has one, derived, not listed.
 */
export function envNameOf(key: keyof Config): string {
  return `CERCAPEC_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

const CONFIG_KEYS = Object.keys(ConfigSchema.shape) as (keyof Config)[];

export class ConfigError extends Error {}

export function loadConfig(flags: Partial<Record<keyof Config, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = env[envNameOf(key)];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined) raw[key] = value;
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const limits = serverLimitProblems(parsed.data);
  if (limits.length > 0) throw new ConfigError(`invalid configuration: ${limits.join('; ')}`);
  return parsed.data;
}
