import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from '../helpers/services.ts';

/**
 * Every page the app serves, found by walking its route table (so a page added later is checked
 * without touching this test): HTML answers carry a Content-Security-Policy that forbids inline
 * scripts and framing, nosniff, no referrer to other sites and X-Frame-Options; every other answer at least
 * nosniff. Unauthenticated, as a browser arrives.
 */

let h: Harness;
before(async () => {
  h = await createHarness('sqlite');
});
after(() => h.close());

/** Full paths of the GET routes, from Fastify's route tree. */
function getRoutes(tree: string): string[] {
  const stack: { depth: number; path: string }[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│]*)[└├]── (.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1].length;
    while (stack.length && stack[stack.length - 1].depth >= depth) stack.pop();
    const path = (stack[stack.length - 1]?.path ?? '') + m[2];
    stack.push({ depth, path });
    if (m[3].split(', ').includes('GET')) routes.push(path);
  }
  return routes;
}

test('every HTML page, and every other answer, carries the security headers', async () => {
  const routes = getRoutes(h.app.printRoutes({ commonPrefix: false })).filter((r) => !r.includes(':') && !r.includes('*'));
  assert.ok(routes.includes('/') && routes.includes('/index_post.html') && routes.includes('/en'), routes.join(' '));
  const html: string[] = [];
  const problems: string[] = [];
  for (const url of routes) {
    const r = await h.app.inject({ method: 'GET', url });
    const type = String(r.headers['content-type'] ?? '');
    if (r.headers['x-content-type-options'] !== 'nosniff') problems.push(`${url}: no nosniff`);
    if (!type.startsWith('text/html')) continue;
    html.push(url);
    const csp = String(r.headers['content-security-policy'] ?? '');
    if (!csp) problems.push(`${url}: no Content-Security-Policy`);
    if (!/frame-ancestors 'none'|frame-ancestors 'self'/.test(csp)) problems.push(`${url}: framing allowed (${csp})`);
    const scripts = /script-src ([^;]*)/.exec(csp)?.[1] ?? /default-src ([^;]*)/.exec(csp)?.[1] ?? '';
    if (/unsafe-inline|unsafe-eval|\*/.test(scripts)) problems.push(`${url}: inline scripts allowed (${csp})`);
    if (r.headers['x-frame-options'] !== 'DENY') problems.push(`${url}: no X-Frame-Options`);
    // same-origin: the back office needs the Origin header on its own forms (src/web/admin/guard.ts); never to other sites.
    if (!['no-referrer', 'same-origin'].includes(String(r.headers['referrer-policy']))) problems.push(`${url}: referrer sent to other sites`);
  }
  assert.ok(html.length >= 6, `HTML pages found: ${html.join(' ')}`);
  assert.deepEqual(problems, []);
});
