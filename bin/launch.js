// Starts the CLI from the JavaScript that `npm run build` writes to dist/, or, in a development
// checkout whose dist/ is missing or older than src/, from the TypeScript sources through tsx.
// Plain JavaScript with no dependency: it runs before anything is compiled.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Written by scripts/build.js after a build that succeeded; its mtime is the build's start. */
export const STAMP = '.build-stamp';

/** The newest mtime (ms) of a folder, its subfolders (a file added or removed) and their files. */
function newestMtime(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

/**
 * Whether `outDir` holds a build of the current `root/src`: no file or folder of src/ and no
 * tsconfig changed since the build started. Walking src/ (340 files and folders) costs about
 * 8 ms of CPU; an installed package has no src/ and skips it.
 */
export function isBuildFresh(root = ROOT, outDir = join(root, 'dist')) {
  const stamp = join(outDir, STAMP);
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  const configs = ['tsconfig.json', 'tsconfig.build.json'].map((f) => join(root, f)).filter((f) => existsSync(f));
  return newestMtime(join(root, 'src')) <= built && configs.every((f) => statSync(f).mtimeMs <= built);
}

/** Imports the CLI's entry point, which parses process.argv and runs the command. */
export async function startCli() {
  // An installed package ships dist/ and no src/.
  if (!existsSync(join(ROOT, 'src')) || isBuildFresh()) {
    await import('../dist/cli/main.js');
    return;
  }
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error('cercapec: dist/ is missing or older than src/, and tsx is not installed to run src/: run `npm run build`');
    process.exit(1);
  }
  register();
  await import('../src/cli/main.ts');
}
