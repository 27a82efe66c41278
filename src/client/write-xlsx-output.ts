import ExcelJS from 'exceljs';
import { writeAtomically } from './write-atomically.ts';

/** Writes rows to a one-sheet xlsx with exceljs's streaming writer: each row is committed as it goes. */
export async function writeXlsxOutput(path: string, columns: string[], rows: Iterable<(string | number)[]>, sheetName: string): Promise<void> {
  await writeAtomically(path, async (tmp) => {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: tmp, useStyles: false, useSharedStrings: false });
    const sheet = workbook.addWorksheet(sheetName);
    sheet.addRow(columns).commit();
    for (const row of rows) sheet.addRow(row).commit();
    sheet.commit();
    await workbook.commit();
  });
}
