import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes through a hidden temporary file in the same folder, then renames: whoever watches the
 * folder (a person, a hot-folder consumer, a test) sees no file or the complete file.
 */
export async function writeAtomically(path: string, write: (tmpPath: string) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
