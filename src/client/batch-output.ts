import { Stato, type Answer } from './answer.ts';
import type { BatchPlan } from './batch-plan.ts';
import { isNumericCell, type InputTable } from './input-table.ts';

/** The columns a batch adds after the input's own. */
export const ADDED_COLUMNS = ['pec', 'stato', 'fonte', 'errore'] as const;

const PENDING: Answer = { stato: Stato.pending, pec: '', fonte: '', errore: '' };

/** Input columns, then ours; ours get a `_cercapec` suffix when the input already uses the name. */
export function outputColumns(table: InputTable): string[] {
  const taken = new Set(table.columns.map((c) => c.toLowerCase()));
  const added = ADDED_COLUMNS.map((name) => {
    let candidate: string = name;
    while (taken.has(candidate.toLowerCase())) candidate = `${candidate}_cercapec`;
    taken.add(candidate.toLowerCase());
    return candidate;
  });
  return [...table.columns, ...added];
}

/**
 * Every input row, in input order, padded to the header's width, plus its answer. With
 * `keepNumbers` (xlsx output) cells that were numbers in an xlsx input are numbers again.
 */
export function* outputRows(table: InputTable, plan: BatchPlan, answers: ReadonlyMap<string, Answer>, keepNumbers: boolean): Generator<(string | number)[]> {
  for (let row = 0; row < table.rows.length; row++) {
    const planned = plan.rows[row];
    const answer = 'answer' in planned ? planned.answer : (answers.get(planned.code) ?? PENDING);
    const cells: (string | number)[] = [];
    for (let column = 0; column < table.columns.length; column++) {
      const text = table.rows[row][column] ?? '';
      cells.push(keepNumbers && isNumericCell(table, row, column) && text !== '' ? Number(text) : text);
    }
    cells.push(answer.pec, answer.stato, answer.fonte, answer.errore);
    yield cells;
  }
}
