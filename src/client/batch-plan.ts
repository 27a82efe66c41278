import { validateTaxId } from '../taxid/index.ts';
import { invalidAnswer, type Answer } from './answer.ts';
import { codeAt } from './find-code-column.ts';
import type { InputTable } from './input-table.ts';

/** What a batch does with each row, decided before anything is sent. */
export interface BatchPlan {
  /** Per data row: the normalised code to look up, or the answer of the local check. */
  rows: Array<{ code: string } | { answer: Answer }>;
  /** Each distinct valid code once, with the rows (0-based) that carry it, in first-seen order. */
  codes: Map<string, number[]>;
}

/** Validates every row locally: invalid rows are never submitted; duplicates share one submission. */
export function planBatch(table: InputTable, column: number): BatchPlan {
  const plan: BatchPlan = { rows: [], codes: new Map() };
  table.rows.forEach((_, row) => {
    const checked = validateTaxId(codeAt(table, row, column));
    if (!checked.valid) {
      plan.rows.push({ answer: invalidAnswer(checked.message) });
      return;
    }
    plan.rows.push({ code: checked.code });
    const rows = plan.codes.get(checked.code);
    if (rows) rows.push(row);
    else plan.codes.set(checked.code, [row]);
  });
  return plan;
}
