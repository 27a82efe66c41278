import ExcelJS from 'exceljs';
import { writeAtomically } from './write-atomically.ts';
import { defuseCell, defuseFormula } from '../security/defuse-formula.ts';

/** Writes rows to a one-sheet xlsx with exceljs's streaming writer: each row is committed as it goes. */
export async function writeXlsxOutput(path: string, columns: string[], rows: Iterable<(string | number)[]>, sheetName: string): Promise<void> {
  await writeAtomically(path, async (tmp) => {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: tmp, useStyles: false, useSharedStrings: false });
    const sheet = workbook.addWorksheet(sheetName);
    // Text cells defused (src/security/defuse-formula.ts): a later edit or a save as CSV would run them.
    sheet.addRow(columns.map(defuseFormula)).commit();
    for (const row of rows) sheet.addRow(row.map(defuseCell)).commit();
    sheet.commit();
    await workbook.commit();
  });
}
