import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { processSandbox } from '../helpers/cli.ts';
import { DEMO_KEY } from '../../src/demo.ts';

const sandbox = processSandbox('demo-registries');

interface Lookup {
  status: string;
  addresses: Array<{ source: string }>;
}

/**
 * Issue #17: `npm run demo:registries` listed codes under ipa-ws23 and openapi that the IPA
 * mirror and INI-PEC answered (they are asked first), so those clients were never seen working.
 * Every code the banner lists under a source must be answered by that source.
 */
test('serve --demo --standins: every code the banner lists under a source is answered by that source', { timeout: 240_000 }, async () => {
  const dir = await sandbox.tmpDir();
  const server = await sandbox.start({ dataDir: join(dir, 'data'), args: ['--demo', '--standins'], startTimeoutMs: 90_000 });
  // The banner follows the "cercapec started" log line.
  const deadline = Date.now() + 30_000;
  while (!/Stato delle fonti/.test(server.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const listed = [...server.output().matchAll(/^ {2}([a-z0-9-]+) +http:\/\/\S+ +conosce: (.+)$/gm)].map((m) => ({
    source: m[1],
    codes: m[2].trim().split(/\s+/),
  }));
  assert.deepEqual(listed.map((l) => l.source).sort(), ['inad', 'inipec', 'ipa-mirror', 'ipa-ws23', 'openapi'], server.output());

  const headers = { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' };
  const wrong: string[] = [];
  for (const { source, codes } of listed) {
    for (const code of codes) {
      const created = await fetch(`${server.url}/v1/lookups`, { method: 'POST', headers, body: JSON.stringify({ code }) });
      assert.ok(created.status === 200 || created.status === 201 || created.status === 202, `${code}: HTTP ${created.status}`);
      let lookup = (await created.json()) as Lookup & { id: string };
      // Long polls of up to 30 s, at most 6 of them: the stand-ins answer in seconds (INI-PEC's list after two checks a second apart).
      for (let i = 0; i < 6 && (lookup.status === 'queued' || lookup.status === 'running'); i++) {
        lookup = (await (await fetch(`${server.url}/v1/lookups/${lookup.id}?wait=30`, { headers })).json()) as Lookup & { id: string };
      }
      const answeredBy = lookup.addresses.map((a) => a.source);
      if (lookup.status !== 'found' || !answeredBy.every((s) => s === source))
        wrong.push(`${code} listed under ${source}: ${lookup.status} from ${answeredBy.join(',') || 'nobody'}`);
    }
  }
  assert.deepEqual(wrong, []);
});
