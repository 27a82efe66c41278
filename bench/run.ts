// `npm run bench` runs every benchmark; `npm run bench -- <name>...` runs some. Prints a table
// and writes bench/results/<time>.json and bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { met, type Bench, type BenchResult } from './lib/bench.ts';
import { pgSubmitBench, textProtocolBench } from './text-protocol.bench.ts';
import { submitToAnswerBench } from './submit-to-answer.bench.ts';
import { importsBench } from './imports.bench.ts';
import { queueBench } from './queue.bench.ts';
import { longPollsBench } from './long-polls.bench.ts';
import { batchMillionBench } from './batch-million.bench.ts';
import { batchUploadStallBench } from './batch-upload-stall.bench.ts';
import { xlsxBombsBench } from './xlsx-bombs.bench.ts';
import { watchesBench } from './watches.bench.ts';
import { searchBench } from './search.bench.ts';
import { constantTimeBench } from './constant-time.bench.ts';
import { ROOT } from './lib/processes.ts';

const ALL: Bench[] = [
  textProtocolBench,
  submitToAnswerBench,
  importsBench,
  queueBench,
  longPollsBench,
  batchMillionBench,
  batchUploadStallBench,
  xlsxBombsBench,
  watchesBench,
  searchBench,
  constantTimeBench,
];

// Run only when named: parts of a benchmark above, for work on one figure.
const NAMED_ONLY: Bench[] = [pgSubmitBench];

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => ![...ALL, ...NAMED_ONLY].some((b) => b.name === w));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${[...ALL, ...NAMED_ONLY].map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length ? [...ALL, ...NAMED_ONLY].filter((b) => wanted.includes(b.name)) : ALL;
const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30) };
console.log(`cercapec benchmarks on ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}`);

const results: BenchResult[] = [];
for (const bench of selected) {
  console.log(`\n## ${bench.name}: ${bench.description}`);
  const t0 = performance.now();
  try {
    const result = await bench.run();
    results.push(result);
    for (const [k, v] of Object.entries(result.figures)) console.log(`  ${k.padEnd(32)} ${v}`);
    for (const g of result.goals) {
      console.log(`  goal ${g.name.padEnd(27)} ${g.value} ${g.unit} (${g.kind === 'min' ? '>=' : '<='} ${g.target}) ${met(g) ? 'MET' : 'MISSED'}`);
    }
    for (const n of result.notes ?? []) console.log(`  note: ${n}`);
  } catch (error) {
    // fetch says only "fetch failed": the cause (a reset, a timeout) is what tells the story.
    const cause = (error as Error).cause as Error | undefined;
    console.log(`  FAILED: ${(error as Error).message}${cause ? ` (${cause.message})` : ''}`);
    results.push({ name: bench.name, figures: { error: (error as Error).message }, goals: [] });
  }
  console.log(`  (${Math.round((performance.now() - t0) / 1000)} s)`);
}

mkdirSync(`${ROOT}bench/results`, { recursive: true });
const report = JSON.stringify({ takenAt: new Date().toISOString(), machine, results }, null, 2);
writeFileSync(`${ROOT}bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`, report);
writeFileSync(`${ROOT}bench/results/latest.json`, report);
const failed = results.some((r) => 'error' in r.figures);
process.exit(failed ? 1 : 0);
