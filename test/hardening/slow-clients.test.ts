import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createHarness, type Harness } from '../helpers/services.ts';
import { killAllChildren, startServerProcess, type ServerProcess } from '../helpers/cli.ts';

/**
 * Slow and oversized clients against a listening server: headers sent byte by byte
 * (slowloris), a body that trickles, an idle keep-alive connection and a connection that says
 * nothing are all cut off by the server's timeouts (config requestTimeoutMs, headersTimeoutMs,
 * keepAliveTimeoutMs; docs/limits.md), with a 408 where HTTP allows one; headers over
 * maxHeaderBytes are a 431. Measured with raw sockets, since inject() bypasses the HTTP server.
 */

const LIMITS = { requestTimeoutMs: 2000, headersTimeoutMs: 1000, keepAliveTimeoutMs: 500, maxHeaderBytes: 4096 };

interface Exchange {
  /** Everything the server sent. */
  received: string;
  /** How many parts the client had not sent yet when the server closed: more than 0 is a cut-off. */
  unsent: number;
}

/**
 * Connects, sends `parts` one every `everyMs` (stopping when the server closes), and resolves
 * when the server closes the connection; rejects if it is still open after `giveUpMs`.
 */
function talk(url: string, parts: string[], everyMs: number, giveUpMs: number): Promise<Exchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${giveUpMs} ms; received ${JSON.stringify(received)}`));
    }, giveUpMs);
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {}); // a reset is a way of closing too
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      clearTimeout(giveUp);
      resolve({ received, unsent: parts.length - i });
    });
    let i = 0;
    const next = () => {
      if (closed || i >= parts.length) return;
      socket.write(parts[i++]);
      timer = setTimeout(next, everyMs);
    };
    socket.on('connect', next);
  });
}

const bytes = (text: string) => text.split('');

describe('slow clients and oversized headers (harness server)', () => {
  let h: Harness;
  let url: string;
  before(async () => {
    h = await createHarness('sqlite', LIMITS);
    url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => h.close());

  test('the HTTP server carries the configured limits', () => {
    const server = h.app.server;
    assert.equal(server.requestTimeout, LIMITS.requestTimeoutMs);
    assert.equal(server.headersTimeout, LIMITS.headersTimeoutMs);
    assert.equal(server.keepAliveTimeout, LIMITS.keepAliveTimeoutMs);
    assert.equal(server.timeout, 120_000, 'connectionTimeoutMs default');
    assert.equal((server as unknown as { maxHeaderSize?: number }).maxHeaderSize ?? LIMITS.maxHeaderBytes, LIMITS.maxHeaderBytes);
  });

  test('slowloris: headers sent a byte at a time are cut off with 408 (headersTimeoutMs)', async () => {
    // 750 bytes, one each 50 ms: 37 s to send, far past the 1 s headers timeout.
    const request = `GET /index_ws.php?key=x&token=y HTTP/1.1\r\nHost: localhost\r\n${'X-Padding: a\r\n'.repeat(50)}\r\n`;
    const r = await talk(url, bytes(request), 50, 10_000);
    assert.match(r.received, /^HTTP\/1\.1 408 /);
    assert.ok(r.unsent > 0, 'cut off before the headers were complete');
  });

  test('a body that trickles is cut off after requestTimeoutMs', async () => {
    const head = 'POST /index_ws.php HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n';
    // 920 bytes, one each 100 ms: 92 s to send, far past the 2 s request timeout.
    const r = await talk(url, [head, ...bytes('key=abc&cf=82003050109&'.repeat(40))], 100, 10_000);
    assert.match(r.received, /^HTTP\/1\.1 408 /);
    assert.ok(r.unsent > 0, 'cut off before the body was complete');
  });

  test('a connection that sends nothing, and an idle keep-alive connection, are closed', async () => {
    // talk() fails unless the server closes them: it never does on its own.
    await talk(url, [], 0, 10_000);
    const idle = await talk(url, ['GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n'], 0, 10_000);
    assert.match(idle.received, /^HTTP\/1\.1 200 /);
    assert.equal(idle.received.match(/HTTP\/1\.1 /g)?.length, 1, 'one answer, then closed while idle');
  });

  test('headers, a URL or a query string over maxHeaderBytes are a 431 on both protocols', async () => {
    const cases = [
      `GET /index_ws.php?key=${'k'.repeat(5000)}&token=t HTTP/1.1\r\nHost: localhost\r\n\r\n`,
      `GET /v1/account HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${'a'.repeat(5000)}\r\n\r\n`,
      `POST /index_ws.php HTTP/1.1\r\nHost: localhost\r\n${Array.from({ length: 600 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`,
    ];
    for (const request of cases) {
      const r = await talk(url, [request], 0, 5000);
      assert.match(r.received, /^HTTP\/1\.1 431 /, request.slice(0, 40));
    }
  });

  test('a query string under the header limit but over the field limit is a protocol error line', async () => {
    const r = await fetch(`${url}/index_ws.php?key=${'k'.repeat(3000)}&token=t`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'ERROR|Parametro key troppo lungo');
  });
});

describe('timeouts of a real `cercapec serve` come from the environment', () => {
  let dir: string;
  let server: ServerProcess;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cercapec-slow-'));
    server = await startServerProcess({ dataDir: join(dir, 'data'), env: { CERCAPEC_HEADERS_TIMEOUT_MS: '1000', CERCAPEC_REQUEST_TIMEOUT_MS: '3000' } });
  });
  after(async () => {
    await server?.kill('SIGKILL');
    await killAllChildren();
    await rm(dir, { recursive: true, force: true });
  });

  test('slowloris is cut off by CERCAPEC_HEADERS_TIMEOUT_MS while other clients are served', async () => {
    // Complete headers sent a line each 100 ms: 3.3 s at least, over the 1 s the environment
    // sets, well under the 20 s default, which would answer them 200.
    const lines = `GET /healthz HTTP/1.1\r\nHost: x\r\n${'X-Slow: 1\r\n'.repeat(30)}\r\n`.split(/(?<=\n)/);
    const attackers = Array.from({ length: 20 }, () => talk(server.url, lines, 100, 15_000));
    const served = await fetch(`${server.url}/healthz`);
    assert.equal(served.status, 200, 'a normal client is served meanwhile');
    for (const r of await Promise.all(attackers)) {
      assert.match(r.received, /^HTTP\/1\.1 408 /);
      assert.ok(r.unsent > 0, 'cut off before the headers were complete');
    }
  });
});

test('the configuration refuses limits that cannot work', () => {
  assert.throws(
    () => loadConfig({ headersTimeoutMs: 5000, requestTimeoutMs: 2000 }, {}),
    (e: Error) => e instanceof ConfigError && /headersTimeoutMs \(5000\) must not exceed requestTimeoutMs/.test(e.message),
  );
  assert.throws(
    () => loadConfig({}, { CERCAPEC_CONNECTION_TIMEOUT_MS: '30000' }),
    /connectionTimeoutMs \(30000\) must be 0 or longer than maxWaitSeconds \(60 s\)/,
  );
  assert.equal(loadConfig({}, { CERCAPEC_CONNECTION_TIMEOUT_MS: '0' }).connectionTimeoutMs, 0);
  assert.throws(() => loadConfig({}, { CERCAPEC_MAX_HEADER_BYTES: '100' }), /maxHeaderBytes/);
  const defaults = loadConfig({}, {});
  assert.deepEqual(
    [
      defaults.requestTimeoutMs,
      defaults.headersTimeoutMs,
      defaults.keepAliveTimeoutMs,
      defaults.connectionTimeoutMs,
      defaults.maxHeaderBytes,
      defaults.authFailuresPerMinute,
    ],
    [120_000, 20_000, 10_000, 120_000, 16_384, 20],
  );
});
