import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { pageRoutes } from '../../src/web/pages.ts';

const HTML_PAGES = [
  '/',
  '/en',
  '/index_post.html',
  '/index_get.html',
  '/index_delete.html',
  '/index_saldo.html',
  '/en/index_post.html',
  '/en/index_get.html',
  '/en/index_delete.html',
  '/en/index_saldo.html',
] as const;

const english = (url: string) => url === '/en' || url.startsWith('/en/');

/** The only address of another host allowed outside the curl examples. */
const LICENCE_URL = /^https:\/\/creativecommons\.org\/licenses\/by\/4\.0\/(deed\.it)?$/;

async function build(t: TestContext) {
  const app = Fastify();
  await app.register(pageRoutes);
  await app.ready();
  t.after(() => app.close());
  return app;
}

async function get(t: TestContext, url: string, headers: Record<string, string> = {}) {
  const app = await build(t);
  return app.inject({ method: 'GET', url, headers });
}

/** Attributes of the first tag matching `selector` (a tag name plus an optional id). */
function tag(html: string, name: string, id?: string): Record<string, string> {
  const re = new RegExp(`<${name}\\b[^>]*>`, 'gi');
  for (const [raw] of html.matchAll(re)) {
    const attrs = attributes(raw);
    if (id === undefined || attrs.id === id) return attrs;
  }
  assert.fail(`no <${name}${id ? `#${id}` : ''}> found`);
}

function attributes(rawTag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of rawTag.matchAll(/\s([a-zA-Z-]+)(?:="([^"]*)")?/g)) attrs[m[1].toLowerCase()] = m[2] ?? '';
  return attrs;
}

function allTags(html: string, name: string): Record<string, string>[] {
  return [...html.matchAll(new RegExp(`<${name}\\b[^>]*>`, 'gi'))].map(([raw]) => attributes(raw));
}

/** The `for` of every label must name an existing id. */
function assertLabelsTied(html: string) {
  const ids = new Set(
    allTags(html, '[a-z]+')
      .map((a) => a.id)
      .filter(Boolean),
  );
  for (const label of allTags(html, 'label')) {
    assert.ok(label.for, 'label without for');
    assert.ok(ids.has(label.for), `label for="${label.for}" names no element`);
  }
}

test('every HTML page is served as utf-8 HTML, not cached, with the common skeleton', async (t) => {
  for (const url of HTML_PAGES) {
    const res = await get(t, url);
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', url);
    assert.equal(res.headers['cache-control'], 'no-cache', url);
    const html = res.body;
    assert.match(html, /^<!doctype html>/i, url);
    assert.match(html, english(url) ? /<html lang="en">/ : /<html lang="it">/, url);
    assert.match(html, /<meta charset="utf-8">/, url);
    assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/, url);
    assert.match(html, /<title>[^<]+<\/title>/, url);
    assert.match(html, /<link rel="stylesheet" href="\/style.css">/, url);
    assert.match(html, /<main\b/, url);
    const nav = html.match(/<nav\b[\s\S]*?<\/nav>/)?.[0] ?? assert.fail(`${url}: no nav`);
    const items = english(url)
      ? [
          ['/en', 'Home'],
          ['/en/index_post.html', 'Submit'],
          ['/en/index_get.html', 'Result'],
          ['/en/index_delete.html', 'Delete'],
          ['/en/index_saldo.html', 'Balance'],
        ]
      : [
          ['/', 'Home'],
          ['/index_post.html', 'Invio'],
          ['/index_get.html', 'Esito'],
          ['/index_delete.html', 'Cancellazione'],
          ['/index_saldo.html', 'Saldo'],
        ];
    for (const [href, text] of items) {
      assert.match(nav, new RegExp(`<a href="${href}"[^>]*>${text}</a>`), `${url}: nav ${text}`);
    }
    assertLabelsTied(html);
  }
});

test('no page has scripts, inline styles or links to other hosts', async (t) => {
  for (const url of [...HTML_PAGES, '/style.css']) {
    const body = (await get(t, url)).body;
    assert.doesNotMatch(body, /<script/i, url);
    assert.doesNotMatch(body, /style=/i, url);
    assert.doesNotMatch(body, /<style/i, url);
    assert.doesNotMatch(body, /@import|url\(/i, `${url}: stylesheet loads nothing else`);
    // The curl examples are the only text allowed to show a full address.
    const outsideExamples = body.replace(/<pre><code>curl [^<]*<\/code><\/pre>/g, '');
    for (const [address] of outsideExamples.matchAll(/https?:\/\/[^\s"'<>]*/gi)) {
      assert.match(address, LICENCE_URL, `${url}: unexpected address ${address}`);
    }
    for (const attr of ['href', 'src', 'action']) {
      for (const [, value] of body.matchAll(new RegExp(`\\s${attr}="([^"]*)"`, 'g'))) {
        if (LICENCE_URL.test(value)) continue;
        assert.match(value, /^\/|^#/, `${url}: ${attr}="${value}" is not a local path`);
      }
    }
  }
});

test('the home pages describe cercapec, the operations and the curl examples', async (t) => {
  for (const url of ['/', '/en']) {
    const html = (await get(t, url)).body;
    assert.match(html, /trovapec/, url);
    for (const form of ['/index_post.html', '/index_get.html', '/index_delete.html', '/index_saldo.html']) {
      assert.ok(html.includes(`href="${url === '/en' ? '/en' : ''}${form}"`), `${url}: link to ${form}`);
    }
    for (const answer of [
      'OK|&lt;token&gt;',
      'Error|Richiesta già presente',
      'WAIT|&lt;token&gt;',
      'OK|&lt;pec&gt;|pec trovata',
      'OK||pec non trovata',
      'OK|richiesta cancellata correttamente',
    ]) {
      assert.ok(html.includes(answer), `${url}: answer ${answer}`);
    }
    const examples = [...html.matchAll(/<pre><code>(curl [^<]*)<\/code><\/pre>/g)].map((m) => m[1]);
    assert.deepEqual(examples.length, 4, `${url}: four curl examples`);
    for (const example of examples) {
      // app.inject's Host: the examples name the address the page was asked for.
      assert.ok(example.includes('http://localhost:80/index_ws.php'), example);
      assert.ok(example.includes('key=LA_TUA_CHIAVE'), example);
    }
    assert.ok(examples.some((e) => /-d cf=\S+/.test(e)));
    assert.ok(examples.some((e) => /-G .*-d token=\S+/.test(e)));
    assert.ok(examples.some((e) => /-d cf-delete=\S+/.test(e)));
    assert.ok(examples.some((e) => /-d saldo= /.test(e)));
    assert.match(html, /AgID/, url);
    assert.match(html, /<a href="https:\/\/creativecommons\.org\/licenses\/by\/4\.0\/[^"]*" rel="license">CC BY 4\.0<\/a>/, url);
  }
  assert.match((await get(t, '/')).body, /<a href="\/en"[^>]*>English/);
  for (const form of ['/index_post.html', '/index_get.html', '/index_delete.html', '/index_saldo.html']) {
    assert.ok((await get(t, '/en')).body.includes(`href="/en${form}"`), `/en links to the English ${form}`);
  }
  assert.match((await get(t, '/en')).body, /<a href="\/"[^>]*>Versione italiana/);
});

const FORMS = [
  {
    url: '/index_post.html',
    heading: 'Invio richiesta PEC',
    method: 'post',
    fields: ['key', 'cf'],
    labels: { key: 'Chiave (key)', cf: 'Partita IVA o codice fiscale' },
    button: 'Invia richiesta',
  },
  {
    url: '/index_get.html',
    heading: 'Esito della ricerca',
    method: 'get',
    fields: ['key', 'token'],
    labels: { key: 'Chiave (key)' },
    button: 'Richiedi esito',
  },
  {
    url: '/index_delete.html',
    heading: 'Cancellazione richiesta',
    method: 'post',
    fields: ['key', 'cf-delete'],
    labels: { key: 'Chiave (key)' },
    button: 'Cancella richiesta',
  },
  {
    url: '/index_saldo.html',
    heading: 'Saldo account',
    method: 'post',
    fields: ['key'],
    labels: { key: 'Chiave (key)' },
    button: 'Richiedi saldo',
  },
] as const;

for (const form of FORMS) {
  test(`${form.url}: form "${form.heading}"`, async (t) => {
    const html = (await get(t, form.url)).body;
    assert.match(html, new RegExp(`<h1>${form.heading}</h1>`));
    assert.equal(allTags(html, 'form').length, 1);
    const f = tag(html, 'form');
    assert.equal(f.method, form.method);
    assert.equal(f.action, '/index_ws.php');

    const inputs = allTags(html, 'input');
    const visible = inputs.filter((i) => i.type !== 'hidden');
    assert.deepEqual(
      visible.map((i) => i.name),
      [...form.fields],
    );
    for (const input of visible) {
      assert.equal(input.id, input.name, 'ids match the protocol field names');
      assert.ok('required' in input, `${input.name} is required`);
      assert.match(html, new RegExp(`<label for="${input.id}">`), `${input.name} has a label`);
    }
    assert.equal(tag(html, 'input', 'key').autocomplete, 'off');
    for (const [id, text] of Object.entries(form.labels)) {
      assert.ok(html.includes(`<label for="${id}">${text}</label>`), `label ${text}`);
    }

    const buttons = allTags(html, 'button');
    assert.equal(buttons.length, 1);
    assert.equal(buttons[0].type, 'submit');
    assert.match(html, new RegExp(`<button type="submit">${form.button}</button>`));
  });
}

test('the saldo form sends an empty hidden saldo field', async (t) => {
  const html = (await get(t, '/index_saldo.html')).body;
  const hidden = allTags(html, 'input').filter((i) => i.type === 'hidden');
  assert.deepEqual(hidden, [{ type: 'hidden', name: 'saldo', value: '' }]);
  for (const url of ['/index_post.html', '/index_get.html', '/index_delete.html']) {
    assert.doesNotMatch((await get(t, url)).body, /type="hidden"/, url);
  }
});

test('/style.css is served as utf-8 CSS with visible focus and a phone layout', async (t) => {
  const res = await get(t, '/style.css');
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-cache');
  assert.match(res.body, /:focus-visible\s*\{[^}]*outline:/);
  assert.match(res.body, /@media \(max-width:/);
});

test('unknown pages are 404', async (t) => {
  const res = await get(t, '/index_nope.html');
  assert.equal(res.statusCode, 404);
});

/** Issue #17 part 3, item 5: the curl examples say where the service really is. */
test('the curl examples name the origin the page was asked for; a Host header that is not a host is never printed', async (t) => {
  for (const url of ['/', '/en']) {
    const html = (await get(t, url, { host: 'pec.example.it:8443' })).body;
    const examples = [...html.matchAll(/<pre><code>(curl [^<]*)<\/code><\/pre>/g)].map((m) => m[1]);
    assert.equal(examples.length, 4);
    for (const example of examples) assert.match(example, / http:\/\/pec\.example\.it:8443\/index_ws\.php$/, `${url}: ${example}`);
    assert.ok((await get(t, url, { host: '[::1]:18080' })).body.includes('http://[::1]:18080/index_ws.php'));
    const hostile = (await get(t, url, { host: 'x"><img src=y>' })).body;
    assert.doesNotMatch(hostile, /<img/);
    assert.ok(hostile.includes('http://localhost:8080/index_ws.php'), 'the default address instead');
  }
});

test('every form has an English twin under /en/ with the same fields, each linking to the other', async (t) => {
  for (const form of FORMS) {
    const italian = (await get(t, form.url)).body;
    const res = await get(t, `/en${form.url}`);
    assert.equal(res.statusCode, 200, `/en${form.url}`);
    const html = res.body;
    assert.deepEqual(tag(html, 'form'), tag(italian, 'form'), 'same method and action');
    assert.deepEqual(allTags(html, 'input'), allTags(italian, 'input'), 'same fields');
    assert.match(html, new RegExp(`<a href="${form.url}" hreflang="it" lang="it">Versione italiana</a>`));
    assert.match(italian, new RegExp(`<a href="/en${form.url}" hreflang="en" lang="en">English version</a>`));
    assert.doesNotMatch(html, /Chiave|Invia|Richiedi|Cancella richiesta/, 'no Italian labels left');
  }
});
