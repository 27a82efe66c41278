import { Transform } from 'node:stream';
import { BatchError } from './batch-error.ts';

/**
 * What an XLSX upload may inflate to. The byte limit counts the zip as it arrives, but deflate
 * packs a run of repeated XML a thousand to one: a 50 KB "zip bomb" inflates to 50 MB of rows,
 * or to one 50 MB cell, or to a 50 MB list of shared strings that the reader keeps in memory.
 * So every part of the zip is counted as it inflates, against
 * - the whole workbook's budget (config batchMaxInflatedBytes): bounds the time spent;
 * - a cap per kind of part: shared strings and styles are held in memory whole;
 * - a cap per element: one row of a sheet, one shared string (exceljs builds each whole).
 * Past any of them the upload is refused with a `too_large` BatchError (413) at once.
 */
export interface InflateBudget {
  readonly maxBytes: number;
  used: number;
}

/** One row of a sheet: 16,384 columns of short cells fit; one 32,767-character cell fits many times. */
export const MAX_ROW_BYTES = 4 * 1024 * 1024;
/** One shared string (a cell holds at most 32,767 characters, rich-text markup included). */
export const MAX_SHARED_STRING_BYTES = 1024 * 1024;
/** All shared strings: kept in memory while the sheet is read (100,000 rows of 5 text columns: about 20 MB). */
export const MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024;
/** workbook.xml, its relationships, styles.xml: parsed whole into objects. */
export const MAX_MODEL_PART_BYTES = 32 * 1024 * 1024;

export function inflateBudget(maxBytes: number): InflateBudget {
  return { maxBytes, used: 0 };
}

export interface PartLimits {
  /** Most bytes this part may inflate to (besides the workbook's budget). */
  maxPartBytes?: number;
  /** Tag that closes one element, and the most bytes allowed between two of them. */
  element?: { end: string; maxBytes: number; what: string };
}

/**
 * A zip entry as its inflated bytes, counted: fails with a `too_large` BatchError as soon as a
 * limit is passed. Pipe the entry into it and read from it.
 */
export function countInflated(budget: InflateBudget, part: string, limits: PartLimits = {}): Transform {
  let partBytes = 0;
  let sinceElement = 0;
  const end = limits.element ? Buffer.from(limits.element.end) : null;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      budget.used += chunk.length;
      partBytes += chunk.length;
      if (budget.used > budget.maxBytes) return callback(tooLarge(`the XLSX file inflates to more than ${budget.maxBytes} bytes`));
      if (limits.maxPartBytes !== undefined && partBytes > limits.maxPartBytes) {
        return callback(tooLarge(`${part} in the XLSX file inflates to more than ${limits.maxPartBytes} bytes`));
      }
      if (end && limits.element) {
        // A tag split across two chunks is found one chunk later: the count is coarse by at most a chunk (16 KiB).
        const at = chunk.lastIndexOf(end);
        sinceElement = at < 0 ? sinceElement + chunk.length : chunk.length - at - end.length;
        if (sinceElement > limits.element.maxBytes) {
          return callback(tooLarge(`${limits.element.what} in the XLSX file is over ${limits.element.maxBytes} bytes`));
        }
      }
      callback(null, chunk);
    },
  });
}

function tooLarge(message: string): BatchError {
  return new BatchError('too_large', message);
}
