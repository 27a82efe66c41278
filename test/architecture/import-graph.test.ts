import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/*
 * The picture of imports (docs/architecture.md), checked on the source text: every import and
 * re-export of a relative module in src/**\/*.ts. Folders are the units; a file directly in src/
 * (app.ts, config.ts, ids.ts...) is a unit of its own.
 */
const SRC = new URL('../../src/', import.meta.url).pathname;

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(path) : e.name.endsWith('.ts') ? [path] : [];
  });
}

/** `import ... from './x.ts'`, `export ... from`, side-effect imports and `import('./x.ts')`. */
const STATIC = /^(?:import|export)\s+(type\s+)?([^;]*?)\s*from\s*'(\.{1,2}\/[^']+)'|^import\s+'(\.{1,2}\/[^']+)'/gm;
const DYNAMIC = /\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;

function importsOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const from = relative(SRC, file);
  const to = (spec: string) => relative(SRC, normalize(join(dirname(file), spec)));
  const edges: Edge[] = [];
  for (const m of text.matchAll(STATIC)) {
    const spec = m[3] ?? m[4];
    // `import { type A, type B }` is as type-only as `import type { A, B }`.
    const names = /^\{([^}]*)\}$/
      .exec((m[2] ?? '').trim())?.[1]
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    const typeOnly = Boolean(m[1]) || (names !== undefined && names.length > 0 && names.every((n) => n.startsWith('type ')));
    edges.push({ from, to: to(spec), typeOnly });
  }
  for (const m of text.matchAll(DYNAMIC)) edges.push({ from, to: to(m[1]), typeOnly: false });
  return edges;
}

const unitOf = (path: string) => (path.includes(sep) ? path.split(sep)[0] : path);
const edges = sourceFiles(SRC).flatMap(importsOf);

/** The strongly connected groups of more than one node (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) visit(w);
      if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, low.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group = stack.splice(stack.indexOf(v));
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

function graphOf(pairs: [string, string][]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [a, b] of pairs) if (a !== b) graph.set(a, (graph.get(a) ?? new Set()).add(b));
  return graph;
}

test('the parser sees the imports (a check that finds nothing proves nothing)', () => {
  assert.ok(edges.length > 500, `only ${edges.length} imports found`);
  assert.ok(edges.some((e) => e.from === join('batches', 'complete-batch.ts') && e.to === join('resources', 'batch-resource.ts') && !e.typeOnly));
  assert.ok(edges.some((e) => e.from === join('store', 'schema.ts') && e.to === join('lookups', 'lookup-status.ts') && e.typeOnly));
});

test('no cycle across folders (imports that run code)', () => {
  assert.deepEqual(cycles(graphOf(edges.filter((e) => !e.typeOnly).map((e) => [unitOf(e.from), unitOf(e.to)]))), []);
});

test('no cycle between files (imports that run code): module initialisation order never matters', () => {
  assert.deepEqual(cycles(graphOf(edges.filter((e) => !e.typeOnly).map((e) => [e.from, e.to]))), []);
});

test('the lower layers never import the protocols, the web pages or the command line', () => {
  const lower = [
    'store',
    'taxid',
    'billing',
    'queue',
    'resources',
    'registries',
    'lookups',
    'batches',
    'webhooks',
    'directory',
    'operators',
    'accounts',
    'audit',
    'privacy',
  ];
  const wrong = edges.filter((e) => lower.includes(unitOf(e.from)) && ['protocol', 'web', 'cli'].includes(unitOf(e.to)));
  assert.deepEqual(
    wrong.map((e) => `${e.from} -> ${e.to}`),
    [],
  );
});

test('the client and the SDK carry no server code: only client/, sdk/, resources/, taxid/ and security/', () => {
  const allowed = ['client', 'sdk', 'resources', 'taxid', 'security'];
  const wrong = edges.filter((e) => ['client', 'sdk'].includes(unitOf(e.from)) && !allowed.includes(unitOf(e.to)));
  assert.deepEqual(
    wrong.map((e) => `${e.from} -> ${e.to}`),
    [],
  );
});

test('domain modules take option objects, not the wiring (config.ts, services.ts)', () => {
  const wiring = ['config.ts', 'services.ts'];
  const wrong = edges.filter((e) => wiring.includes(e.to) && !['cli', 'app.ts', 'server.ts', 'demo.ts', 'services.ts'].includes(unitOf(e.from)));
  assert.deepEqual(
    wrong.map((e) => `${e.from} -> ${e.to}`),
    [],
  );
});
