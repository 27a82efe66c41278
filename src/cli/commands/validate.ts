import type { Command } from 'commander';
import { validateTaxId } from '../../taxid/index.ts';

export function validateCommand(program: Command): void {
  program
    .command('validate <code...>')
    .description('check codici fiscali / partite IVA; exit code 1 if any is invalid')
    .action((codes: string[]) => {
      let invalid = 0;
      for (const input of codes) {
        const r = validateTaxId(input);
        if (r.valid) console.log(`${r.code}\tvalid\t${r.kind}`);
        else {
          invalid++;
          console.log(`${input}\tinvalid\t${r.message}`);
        }
      }
      if (invalid > 0) process.exitCode = 1;
    });
}
