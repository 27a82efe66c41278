#!/usr/bin/env node
// Compiles src/ to JavaScript with tsc (tsconfig.build.json) and copies the files src/ reads at
// run time beside the code (web pages, back-office static files, the stand-ins' test keys), so
// the CLI runs without tsx. `npm run build`; npm ci runs it too (the prepare script).
// Optional: --out-dir <dir> (default dist/). The stamp (bin/launch.js) is written last, dated
// from the start, so a file edited during the build leaves the output stale.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP } from '../bin/launch.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = process.argv.indexOf('--out-dir');
const outDir = resolve(at === -1 ? join(root, 'dist') : process.argv[at + 1]);
const started = new Date();

rmSync(join(outDir, STAMP), { force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(
  process.execPath,
  [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, '--tsBuildInfoFile', join(outDir, '.tsbuildinfo')],
  { stdio: 'inherit' },
);
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

function assets(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return assets(path);
    return entry.name.endsWith('.ts') ? [] : [path];
  });
}
for (const file of assets(join(root, 'src'))) {
  const target = join(outDir, relative(join(root, 'src'), file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
}

writeFileSync(join(outDir, STAMP), '');
utimesSync(join(outDir, STAMP), started, started);
