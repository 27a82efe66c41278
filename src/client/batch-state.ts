import { closeSync, fsyncSync, openSync, readFileSync, writeSync, fstatSync, readSync } from 'node:fs';
import type { Answer } from './answer.ts';

/**
 * The state of a batch: an append-only file of JSON lines beside the output. `row` is the
 * 1-based data row of the first row with that code (for people reading the file); the code is
 * the key, so a resumed run matches lines to rows even if duplicates moved.
 *
 *   {"type":"submitted","row":12,"code":"00743110157","token":"…","at":"…"}
 *   {"type":"answered","row":12,"code":"00743110157","stato":"trovata","pec":"…","fonte":"…","errore":"","at":"…"}
 *   {"type":"refresh","at":"…"}      --refresh: everything before it is forgotten
 *   {"type":"batch","batchId":"…","codes":9000,"at":"…"}   the codes went up as one server batch (JSON API)
 *   {"type":"batch-done","batchId":"…","at":"…"}           its answers are in the lines before this one
 */
export type StateEntry =
  | { type: 'submitted'; row: number; code: string; token: string; at: string }
  | ({ type: 'answered'; row: number; code: string; at: string } & Answer)
  | { type: 'refresh'; at: string }
  | { type: 'batch'; batchId: string; codes: number; at: string }
  | { type: 'batch-done'; batchId: string; at: string };

export interface BatchState {
  tokens: Map<string, string>;
  answers: Map<string, Answer>;
  /** A server batch this file started and has not finished reading: a resumed run watches it instead of uploading again. */
  openBatch: string | null;
  /** Lines that could not be read (a line cut by a crash); skipped. */
  unreadable: number;
}

/** Folds the file into what is known per code; a missing file is an empty state. */
export function loadState(path: string): BatchState {
  const state: BatchState = { tokens: new Map(), answers: new Map(), openBatch: null, unreadable: 0 };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw error;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: StateEntry;
    try {
      entry = JSON.parse(line) as StateEntry;
    } catch {
      state.unreadable++;
      continue;
    }
    if (entry.type === 'refresh') {
      state.tokens.clear();
      state.answers.clear();
      state.openBatch = null;
    } else if (entry.type === 'batch') {
      state.openBatch = entry.batchId;
    } else if (entry.type === 'batch-done') {
      if (state.openBatch === entry.batchId) state.openBatch = null;
    } else if (entry.type === 'submitted') {
      state.tokens.set(entry.code, entry.token);
      state.answers.delete(entry.code);
    } else if (entry.type === 'answered') {
      state.answers.set(entry.code, { stato: entry.stato, pec: entry.pec, fonte: entry.fonte, errore: entry.errore });
    }
  }
  return state;
}

export interface StateLog {
  /** Written to the file (the kernel has it) before returning: a SIGKILL right after loses nothing. */
  append(entry: StateEntry): void;
  close(): void;
}

/**
 * Opens the state file for appending. Each line is one write(2), so a killed process leaves whole
 * lines; fsync runs at most every `fsyncEveryMs` (and on close), so a power cut loses at most
 * that much. Per-line fsync would cost a disk flush per submission: on a laptop SSD ~1-5 ms,
 * which at 8-way concurrency would make the state file, not the server, the bottleneck.
 */
export function openStateLog(path: string, fsyncEveryMs = 1_000): StateLog {
  const fd = openSync(path, 'a', 0o600);
  // A line cut by a power cut would glue itself to the next one: start on a fresh line.
  const size = fstatSync(fd).size;
  if (size > 0) {
    const last = Buffer.alloc(1);
    const probe = openSync(path, 'r');
    try {
      readSync(probe, last, 0, 1, size - 1);
    } finally {
      closeSync(probe);
    }
    if (last[0] !== 0x0a) writeSync(fd, '\n');
  }
  let dirty = false;
  const timer = setInterval(() => {
    if (dirty) {
      dirty = false;
      fsyncSync(fd);
    }
  }, fsyncEveryMs);
  timer.unref();
  let open = true;
  return {
    append(entry) {
      if (!open) throw new Error('state file already closed');
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      dirty = true;
    },
    close() {
      if (!open) return;
      open = false;
      clearInterval(timer);
      fsyncSync(fd);
      closeSync(fd);
    },
  };
}
