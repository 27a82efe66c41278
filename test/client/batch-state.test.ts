import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState, openStateLog } from '../../src/client/batch-state.ts';

const dir = mkdtempSync(join(tmpdir(), 'cercapec-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const at = '2024-01-01T00:00:00.000Z';
const found = { stato: 'trovata', pec: 'a@pec.it', fonte: 'x', errore: '' } as const;

test('loadState folds the lines per code; a refresh line forgets what came before', () => {
  const path = join(dir, 'a.state.jsonl');
  const log = openStateLog(path);
  log.append({ type: 'submitted', row: 1, code: 'A', token: 't1', at });
  log.append({ type: 'answered', row: 1, code: 'A', ...found, at });
  log.append({ type: 'submitted', row: 2, code: 'B', token: 't2', at });
  log.close();
  let state = loadState(path);
  assert.deepEqual(
    [...state.tokens],
    [
      ['A', 't1'],
      ['B', 't2'],
    ],
  );
  assert.deepEqual([...state.answers], [['A', found]]);

  const again = openStateLog(path);
  again.append({ type: 'refresh', at });
  again.append({ type: 'submitted', row: 2, code: 'B', token: 't3', at });
  again.close();
  state = loadState(path);
  assert.deepEqual([...state.tokens], [['B', 't3']]);
  assert.equal(state.answers.size, 0);
});

test('a line cut short by a crash is skipped, and the next append starts on a new line', () => {
  const path = join(dir, 'b.state.jsonl');
  const log = openStateLog(path);
  log.append({ type: 'submitted', row: 1, code: 'A', token: 't1', at });
  log.close();
  appendFileSync(path, '{"type":"submitted","row":2,"co');
  const reopened = openStateLog(path);
  reopened.append({ type: 'submitted', row: 3, code: 'C', token: 't3', at });
  reopened.close();
  const state = loadState(path);
  assert.equal(state.unreadable, 1);
  assert.deepEqual(
    [...state.tokens],
    [
      ['A', 't1'],
      ['C', 't3'],
    ],
  );
  assert.equal(readFileSync(path, 'utf8').split('\n').length, 4);
  assert.equal(loadState(join(dir, 'missing.jsonl')).tokens.size, 0);
});
