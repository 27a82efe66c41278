import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const HTML = 'text/html; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const SVG = 'image/svg+xml';

/** URL path -> file in ./pages and its content type. The form paths match the original service's. */
const PAGES = [
  { path: '/', file: 'index.html', type: HTML },
  { path: '/en', file: 'en.html', type: HTML },
  { path: '/en/', file: 'en.html', type: HTML },
  { path: '/en/index.html', file: 'en.html', type: HTML },
  { path: '/index_post.html', file: 'index_post.html', type: HTML },
  { path: '/index_get.html', file: 'index_get.html', type: HTML },
  { path: '/index_delete.html', file: 'index_delete.html', type: HTML },
  { path: '/index_saldo.html', file: 'index_saldo.html', type: HTML },
  // The same forms in English; they post to the same /index_ws.php, whose answers stay Italian.
  { path: '/en/index_post.html', file: 'en/index_post.html', type: HTML },
  { path: '/en/index_get.html', file: 'en/index_get.html', type: HTML },
  { path: '/en/index_delete.html', file: 'en/index_delete.html', type: HTML },
  { path: '/en/index_saldo.html', file: 'en/index_saldo.html', type: HTML },
  { path: '/style.css', file: 'style.css', type: CSS },
  // Browsers ask for /favicon.ico whatever the page says: an SVG there (they all read it) spares the 404s.
  { path: '/favicon.ico', file: 'favicon.svg', type: SVG },
  { path: '/favicon.svg', file: 'favicon.svg', type: SVG },
] as const;

/** Where the curl examples of the home pages say the service is. */
const ORIGIN = '{{ORIGIN}}';
/** What a Host header may look like to be printed: a name or IPv4 address, or a bracketed IPv6 one, and a port. */
const SAFE_HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** For a Host header that is not one (never sent by a browser): the default address. */
const FALLBACK_ORIGIN = 'http://localhost:8080';

/**
 * The origin the page was asked for (`https://pec.example.it`, `http://127.0.0.1:18080`), so the
 * curl examples work when copied whatever the port or the name. Behind a proxy, the forwarded
 * protocol and host when CERCAPEC_TRUST_PROXY says to believe them (Fastify's trustProxy).
 */
export function requestOrigin(request: Pick<FastifyRequest, 'protocol' | 'host'>): string {
  const protocol = request.protocol === 'https' ? 'https' : 'http';
  return SAFE_HOST.test(request.host ?? '') ? `${protocol}://${request.host}` : FALLBACK_ORIGIN;
}

/**
 * The public browser pages: home (Italian at `/`, English at `/en`), the four test forms that post
 * to `/index_ws.php` (Italian, and English under `/en/`), and their shared stylesheet. Files are
 * read once, at registration, so a missing file fails at startup rather than on the first request.
 *
 * @example
 * const app = Fastify();
 * await app.register(pageRoutes);
 */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  for (const page of PAGES) {
    const body = readFileSync(new URL(`./pages/${page.file}`, import.meta.url), 'utf8');
    const parts = body.split(ORIGIN);
    app.get(page.path, async (request, reply) =>
      reply
        .type(page.type)
        .header('cache-control', 'no-cache')
        .send(parts.length === 1 ? body : parts.join(requestOrigin(request))),
    );
  }
}
