import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { createHarness, type Harness } from '../helpers/services.ts';

/**
 * Unknown URLs and methods (issue 15 item 6): answered in the style of the part of the site they
 * aimed at, and never echoing the path or the query string, where a mistyped URL carries a key.
 */
const SECRET = 'cp_segreto_nella_query_0123456789';

describe('unknown routes', () => {
  let h: Harness;
  let key: string;
  let base: string;
  before(async () => {
    h = await createHarness('sqlite');
    ({ key } = await h.account());
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => h.close());

  const noEcho = (body: string, path: string) => {
    assert.ok(!body.includes(SECRET), `${path}: the key is echoed`);
    assert.ok(!body.includes('pagina-che-non-c'), `${path}: the path is echoed`);
  };

  test('a page that does not exist: an Italian HTML page with a link home, the security headers, no echo', async () => {
    for (const url of [`/pagina-che-non-c-e?key=${SECRET}`, `/v1x/pagina-che-non-c-e?key=${SECRET}`, `/index_nope.html?key=${SECRET}`]) {
      const r = await h.app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(r.body, /<html lang="it">/);
      assert.match(r.body, /<h1>Pagina non trovata<\/h1>/);
      assert.match(r.body, /<a href="\/">pagina iniziale<\/a>/);
      assert.match(r.body, /<link rel="stylesheet" href="\/style.css">/);
      assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      noEcho(r.body, url);
    }
    const head = await h.app.inject({ method: 'HEAD', url: `/pagina-che-non-c-e?key=${SECRET}` });
    assert.equal(head.statusCode, 404);
    assert.equal(head.body, '');
  });

  test('under /v1: the not_found problem, with a stable type', async () => {
    for (const [method, url] of [
      ['GET', `/v1/pagina-che-non-c-e?key=${SECRET}`],
      ['DELETE', `/v1/lookups/a/b/pagina-che-non-c-e?key=${SECRET}`],
      ['TRACE', `/v1/lookups?key=${SECRET}`],
    ] as const) {
      const r = await h.app.inject({ method, url, headers: { authorization: `Bearer ${key}` } });
      assert.equal(r.statusCode, 404, `${method} ${url}`);
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
      assert.equal(r.json().type, '/problems/not-found');
      assert.equal(r.json().code, 'not_found');
      noEcho(r.body, url);
    }
  });

  test('below /index_ws.php: the protocol line, ERROR| for GET and Error| for POST', async () => {
    const get = await h.app.inject({ method: 'GET', url: `/index_ws.php/pagina-che-non-c-e?key=${SECRET}` });
    assert.equal(get.statusCode, 404);
    assert.equal(get.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(get.body, 'ERROR|Indirizzo non trovato: il servizio risponde su /index_ws.php');
    const post = await h.app.inject({ method: 'POST', url: `/index_ws.php/pagina-che-non-c-e?key=${SECRET}`, payload: { key: SECRET } });
    assert.equal(post.statusCode, 404);
    assert.equal(post.body, 'Error|Indirizzo non trovato: il servizio risponde su /index_ws.php');
  });

  test('TRACE and the other methods the protocol lacks answer 405 on /index_ws.php, like PUT and DELETE', async () => {
    const put = await h.app.inject({ method: 'PUT', url: '/index_ws.php' });
    for (const method of ['TRACE', 'SEARCH', 'PROPFIND', 'COPY', 'LOCK', 'CONNECT'] as const) {
      const r = await h.app.inject({ method, url: `/index_ws.php?key=${SECRET}` });
      assert.equal(r.statusCode, 405, method);
      assert.equal(r.headers.allow, 'GET, HEAD, POST', method);
      assert.equal(r.body, put.body, method);
      noEcho(r.body, method);
    }
  });

  test('over a real socket: TRACE gets the 405 line, CONNECT never an echo', async () => {
    const raw = async (request: string) => {
      const { port } = new URL(base);
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      socket.end(request);
      let text = '';
      socket.setEncoding('utf8').on('data', (c: string) => (text += c));
      await once(socket, 'close');
      return text;
    };
    const trace = await raw(`TRACE /index_ws.php?key=${SECRET} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(trace, /^HTTP\/1\.1 405 /);
    assert.match(trace, /Error\|Metodo non consentito: usare GET o POST$/);
    assert.ok(!trace.includes(SECRET));
    const tunnel = await raw(`CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nX-Key: ${SECRET}\r\n\r\n`);
    assert.ok(!tunnel.includes(SECRET), tunnel);
    assert.doesNotMatch(tunnel, /^HTTP\/1\.1 200/, 'no tunnel');
  });

  test('a favicon, not a 404', async () => {
    for (const url of ['/favicon.ico', '/favicon.svg']) {
      const r = await h.app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 200, url);
      assert.equal(r.headers['content-type'], 'image/svg+xml');
      assert.match(r.body, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.doesNotMatch(r.body, /<script/i);
    }
  });
});
