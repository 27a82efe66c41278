import ExcelJS from 'exceljs';
import { ClientError, ClientErrorCode } from './client-error.ts';
import { cellText } from './xlsx-cell-text.ts';

export interface RawSheet {
  rows: string[][];
  /** [row index, column index] of cells that were numbers. */
  numeric: Array<[number, number]>;
  sheetName: string;
}

/**
 * The first worksheet of an xlsx file, read with exceljs's streaming reader (a 100,000-row file
 * never exists as a full workbook model). Empty rows are skipped.
 */
export async function readXlsxRows(path: string): Promise<RawSheet> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    // Styles say which numbers are dates; hyperlink cells keep their text without them.
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  const sheet: RawSheet = { rows: [], numeric: [], sheetName: 'Foglio1' };
  let first = true;
  try {
    for await (const worksheet of reader) {
      // Later sheets are drained, not abandoned: leaving the iterator early leaves the file open.
      if (!first) {
        for await (const _row of worksheet) void _row;
        continue;
      }
      first = false;
      sheet.sheetName = (worksheet as unknown as { name?: string }).name ?? sheet.sheetName;
      for await (const row of worksheet) {
        const cells: string[] = [];
        const numericColumns: number[] = [];
        row.eachCell({ includeEmpty: false }, (cell, column) => {
          const { text, numeric } = cellText(cell.value);
          while (cells.length < column - 1) cells.push('');
          cells[column - 1] = text;
          if (numeric) numericColumns.push(column - 1);
        });
        if (!cells.some((c) => c.trim() !== '')) continue;
        for (const column of numericColumns) sheet.numeric.push([sheet.rows.length, column]);
        sheet.rows.push(cells);
      }
    }
  } catch (error) {
    throw new ClientError(ClientErrorCode.fileUnreadable, `cannot read ${path} as an xlsx workbook: ${(error as Error).message}`);
  }
  return sheet;
}
