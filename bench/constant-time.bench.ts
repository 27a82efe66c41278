import type { Bench } from './lib/bench.ts';
import { round } from './lib/stats.ts';
import { secretsEqual } from '../src/security/constant-time.ts';

const ROUNDS = Number(process.env.BENCH_CONSTANT_TIME_ROUNDS ?? 20_000);

/** Nanoseconds to compare `given` with `secret` ROUNDS times. */
function timeOf(given: string, secret: string): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) secretsEqual(given, secret);
  return Number(process.hrtime.bigint() - started);
}

/**
 * secretsEqual (src/security/constant-time.ts) takes the same time for a near miss (differs in the
 * last byte) and a far miss (the first byte): a comparison that stopped at the first difference
 * would differ by a whole 4 KB scan. A wrong length is timed too; it is faster only because less
 * was sent to hash, which tells nothing of the secret. Timed here, not in the test suite: a timing
 * is a speed figure, and a loaded machine makes any bound in a test flaky. The suite checks the
 * answers and that no secret is compared with ===.
 */
export const constantTimeBench: Bench = {
  name: 'constant-time',
  description: 'secretsEqual: a near miss and a far miss take the same time (min of 5 runs)',
  async run() {
    const secret = 'x'.repeat(4096);
    const cases = { near: `${'x'.repeat(4095)}y`, far: `y${'x'.repeat(4095)}`, short: 'y' };
    for (let i = 0; i < 3; i++) for (const given of Object.values(cases)) timeOf(given, secret); // warm up
    const ns = Object.fromEntries(
      Object.entries(cases).map(([k, given]) => [k, Math.min(...[0, 1, 2, 3, 4].map(() => timeOf(given, secret))) / ROUNDS]),
    ) as Record<keyof typeof cases, number>;
    const spread = Math.max(ns.near, ns.far) / Math.min(ns.near, ns.far);
    return {
      name: 'constant-time',
      figures: { 'near miss ns': round(ns.near, 1), 'far miss ns': round(ns.far, 1), 'wrong length ns': round(ns.short, 1) },
      notes: ['a shorter given value hashes faster: the time depends on the length of what was sent, never on the secret'],
      goals: [{ name: 'near miss / far miss', value: round(spread, 2), target: 1.5, kind: 'max', unit: 'x' }],
    };
  },
};
