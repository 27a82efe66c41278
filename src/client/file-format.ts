import { extname } from 'node:path';
import { ClientError, ClientErrorCode } from './client-error.ts';

export type FileFormat = 'csv' | 'xlsx';

/** By extension: `.csv` (and `.txt`, how some programs name their exports) or `.xlsx`. */
export function fileFormatOf(path: string): FileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.txt') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  const hint = ext === '.xls' ? ' (old .xls workbooks: save as .xlsx first)' : '';
  throw new ClientError(ClientErrorCode.unsupportedFormat, `${path}: only .csv and .xlsx files are supported${hint}`);
}
