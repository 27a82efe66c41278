import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BatchFormat } from '../../batches/batch-status.ts';
import { limitedInput } from '../../batches/limit-bytes.ts';

/**
 * Uploads waiting for their confirmation: the file streamed to disk as it arrives (never held in
 * memory), with a small JSON file beside it naming its account. The preview reads the first rows
 * from disk, the confirmation streams the file into createBatch and removes it. Files are kept
 * on the local disk of the process that received them: with several API processes behind a
 * balancer, the portal needs sticky sessions or one process (docs/portal.md).
 */
export interface UploadMeta {
  id: string;
  accountId: string;
  filename: string;
  format: Exclude<BatchFormat, 'json'>;
  bytes: number;
  createdAt: number;
  /** Row counts per code column, computed once per column choice (a pass over the file). */
  counts?: Record<string, UploadCounts>;
}

export interface UploadCounts {
  total: number;
  valid: number;
  invalid: number;
  distinct: number;
  /** More rows than the batch limit: the confirmation would be refused. */
  tooMany: boolean;
}

/** An upload not confirmed within a day is removed by the next upload. */
export const UPLOAD_TTL_MS = 24 * 3_600_000;
const ID = /^[A-Za-z0-9_-]{22}$/;

const dataPath = (dir: string, id: string) => join(dir, `${id}.upload`);
const metaPath = (dir: string, id: string) => join(dir, `${id}.json`);

/** Streams `body` to disk (over `maxBytes`: BatchError too_large, nothing kept). */
export async function saveUpload(dir: string, body: Readable, meta: Omit<UploadMeta, 'id' | 'bytes'>, maxBytes: number): Promise<UploadMeta> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const id = randomBytes(16).toString('base64url');
  let bytes = 0;
  try {
    await pipeline(
      limitedInput(body, maxBytes, (chunk) => (bytes += chunk.length)),
      createWriteStream(dataPath(dir, id), { mode: 0o600 }),
    );
    const full: UploadMeta = { ...meta, id, bytes };
    await writeFile(metaPath(dir, id), JSON.stringify(full), { mode: 0o600 });
    return full;
  } catch (error) {
    await removeUpload(dir, id);
    throw error;
  }
}

/** The upload's metadata, or null when it is missing, expired or another account's. */
export async function findUpload(dir: string, id: string, accountId: string, now: number): Promise<UploadMeta | null> {
  if (!ID.test(id)) return null;
  try {
    const meta = JSON.parse(await readFile(metaPath(dir, id), 'utf8')) as UploadMeta;
    if (meta.accountId !== accountId || meta.createdAt + UPLOAD_TTL_MS <= now) return null;
    return meta;
  } catch {
    return null;
  }
}

export async function saveMeta(dir: string, meta: UploadMeta): Promise<void> {
  await writeFile(metaPath(dir, meta.id), JSON.stringify(meta), { mode: 0o600 });
}

export function readUpload(dir: string, id: string): Readable {
  return createReadStream(dataPath(dir, id), { highWaterMark: 64 * 1024 });
}

export async function removeUpload(dir: string, id: string): Promise<void> {
  await rm(dataPath(dir, id), { force: true });
  await rm(metaPath(dir, id), { force: true });
}

/** Removes uploads older than UPLOAD_TTL_MS (by file time: the clock of the disk). */
export async function purgeUploads(dir: string, nowMs = Date.now()): Promise<number> {
  let removed = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    if (info && info.mtimeMs + UPLOAD_TTL_MS <= nowMs) {
      await rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}
