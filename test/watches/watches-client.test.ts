import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { generateDataset } from '../../src/standins/dataset.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { createApiClient } from '../../src/sdk/cercapec-api.ts';
import { addWatchesFromFile, fetchWatchEvents } from '../../src/client/watches-client.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { drainWatchQueue } from './watch-fixture.ts';

const [A, B] = generateDataset().companies;

describe('client: watches add <file> and watches events -o <csv>', () => {
  let h: Harness;
  let dir: string;
  beforeEach(async () => {
    h = await createHarness('sqlite');
    dir = await mkdtemp(join(tmpdir(), 'cercapec-watch-client-'));
  });
  afterEach(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  const importDirectory = async (rows: [string, string][]) => {
    const file = join(dir, `d${Math.random().toString(36).slice(2)}.csv`);
    await writeFile(file, ['codice_fiscale;pec', ...rows.map((r) => r.join(';'))].join('\n'));
    await importDataset(h.store, h.clock, { file, format: 'csv', name: 'clienti' });
    await drainWatchQueue(h.store, h.clock);
  };

  test('codes from a file (invalid rows by number); events appended, resumed from the kept cursor', async () => {
    const { key } = await h.account();
    const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const api = createApiClient({ baseUrl: base, key });
    await importDirectory([
      [A.cf, 'a@pec.example'],
      [B.cf, 'b@pec.example'],
    ]);
    const input = join(dir, 'fornitori.csv');
    await writeFile(input, `ragione sociale;partita iva\nAlfa;${A.cf}\nBeta;${B.cf}\nGamma;12345\n`);
    const added = await addWatchesFromFile(api, input, { reference: 'fornitori' });
    assert.deepEqual([added.added, added.alreadyWatched], [2, 0]);
    assert.deepEqual(
      added.rejected.map((r) => r.row),
      [4],
    );

    const out = join(dir, 'events.csv');
    assert.equal(await fetchWatchEvents(api, out), 0);
    await importDirectory([
      [A.cf, 'a2@pec.example'],
      [B.cf, 'b@pec.example'],
    ]);
    assert.equal(await fetchWatchEvents(api, out), 1);
    assert.equal(await fetchWatchEvents(api, out), 0, 'resumed after the last event');
    await importDirectory([[A.cf, 'a2@pec.example']]);
    assert.equal(await fetchWatchEvents(api, out), 1);
    const rows = parse(await readFile(out, 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(
      rows.map((r) => [r.type, r.code, r.before, r.after, r.source]),
      [
        ['pec.changed', A.cf, 'a@pec.example', 'a2@pec.example', 'directory'],
        ['pec.removed', B.cf, 'b@pec.example', '', 'directory'],
      ],
    );
  });
});
