import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../../src/standins/dataset.ts';
import { importDataset } from '../../src/directory/import-dataset.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { AdminClient, staff } from '../admin/admin-fixture.ts';
import { drainWatchQueue } from './watch-fixture.ts';

const [A] = generateDataset().companies;
const DAY = 86_400_000;

describe('back office: the address timeline and the watch counts', () => {
  let h: Harness;
  let dir: string;
  beforeEach(async () => {
    h = await createHarness('sqlite', { adminLoginsPerMinute: 0 });
    dir = await mkdtemp(join(tmpdir(), 'cercapec-watch-admin-'));
  });
  afterEach(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  const importDirectory = async (pec: string) => {
    const file = join(dir, `d${Math.random().toString(36).slice(2)}.csv`);
    await writeFile(file, `codice_fiscale;pec\n${A.cf};${pec}\n`);
    await importDataset(h.store, h.clock, { file, format: 'csv', name: 'clienti' });
    await drainWatchQueue(h.store, h.clock);
  };

  test("a request's page shows its code's addresses over time; the dashboard counts watches and changes", async () => {
    const { key } = await h.account();
    await staff(h.store, h.clock.now());
    await importDirectory('vecchia@pec.example');
    await h.app.inject({ method: 'POST', url: '/v1/watches', payload: { codes: [A.cf] }, headers: { authorization: `Bearer ${key}` } });
    h.clock.advance(DAY);
    await importDirectory('nuova@pec.example');
    const made = await h.app.inject({ method: 'POST', url: '/v1/lookups', payload: { code: A.cf }, headers: { authorization: `Bearer ${key}` } });
    const admin = await AdminClient.signedIn(h.app, 'anna');
    const detail = await admin.get(`/admin/requests/${made.json().id}`);
    assert.equal(detail.statusCode, 200);
    const timeline = /<table id="address-timeline">([\s\S]*?)<\/table>/.exec(detail.body)?.[1] ?? '';
    assert.match(timeline, /<th scope="col">Dal<\/th>/);
    const rows = [...timeline.matchAll(/<tr><td>[\s\S]*?<\/tr>/g)].map((m) => m[0]);
    assert.equal(rows.length, 2);
    assert.match(rows[0], /vecchia@pec\.example/);
    assert.match(rows[1], /nuova@pec\.example[\s\S]*in corso|in corso[\s\S]*nuova@pec\.example/);
    const dashboard = await admin.get('/admin?hours=48');
    assert.match(dashboard.body, /Codici sorvegliati<\/p><p class="card-value">1<\/p><p class="card-extra">1 sorveglianze/);
    assert.match(dashboard.body, /Variazioni PEC nel periodo<\/p><p class="card-value">1</);
  });
});
