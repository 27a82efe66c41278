/** A spreadsheet read into memory: every value a string, as it was written in the file. */
export interface InputTable {
  format: 'csv' | 'xlsx';
  /** Header names; made up (`colonna_1`, …) when the file has no header row. */
  columns: string[];
  /** Data rows; a row may be shorter than `columns` (trailing empty cells). */
  rows: string[][];
  /** Cells that were numbers in an xlsx file (see `isNumericCell`); always empty for CSV. */
  numericCells: Set<number>;
  /** CSV: the separator found, reused for the output. */
  delimiter?: string;
  /** xlsx: the name of the sheet read, reused for the output. */
  sheetName?: string;
}

// 16,384 is Excel's column limit, so row·16384 + column is unique per cell.
const MAX_COLUMNS = 16_384;

export function cellKey(row: number, column: number): number {
  return row * MAX_COLUMNS + column;
}

export function isNumericCell(table: InputTable, row: number, column: number): boolean {
  return table.numericCells.has(cellKey(row, column));
}
