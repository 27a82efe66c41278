import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness } from '../helpers/services.ts';

const h = await createHarness('sqlite');
after(() => h.close());

test('pages and protocol answers carry the security headers', async () => {
  for (const url of ['/', '/index_post.html', '/index_ws.php', '/v1/account']) {
    const r = await h.app.inject({ method: 'GET', url });
    assert.equal(r.headers['x-content-type-options'], 'nosniff', url);
    assert.equal(r.headers['referrer-policy'], 'no-referrer', url);
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /frame-ancestors 'none'/, url);
    assert.match(csp, /script-src 'self'/, url);
    assert.doesNotMatch(csp, /unsafe-inline/, url);
  }
});

test('the API documentation page is served from the package', async () => {
  const r = await h.app.inject({ method: 'GET', url: '/docs/' });
  assert.equal(r.statusCode, 200);
  assert.doesNotMatch(r.body, /https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\/[^"']*\.(js|css)/i, 'no assets from another host');
});
