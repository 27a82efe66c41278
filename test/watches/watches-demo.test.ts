import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_KEY, DEMO_WATCHED_CODE, ensureDemo } from '../../src/demo.ts';
import { createHarness } from '../helpers/services.ts';
import { drainWatchQueue } from './watch-fixture.ts';

describe('demo: one change of address', () => {
  test('the demo account watches a firm whose PEC the demo re-import changes: one pec.changed', async () => {
    const h = await createHarness('sqlite');
    try {
      await ensureDemo(h.services);
      await drainWatchQueue(h.store, h.clock);
      await ensureDemo(h.services);
      await drainWatchQueue(h.store, h.clock);
      const res = await h.app.inject({ method: 'GET', url: '/v1/watches/events', headers: { authorization: `Bearer ${DEMO_KEY}` } });
      assert.deepEqual(
        res.json().items.map((e: { type: string; code: string; before: string; after: string }) => [e.type, e.code, e.before, e.after]),
        [['pec.changed', DEMO_WATCHED_CODE, 'amministrazione@pec.ditta-demo.example', 'ufficio.legale@pec.ditta-demo.example']],
        'a second start changes nothing',
      );
    } finally {
      await h.close();
    }
  });
});
