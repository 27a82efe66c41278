import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const HTML = 'text/html; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const SVG = 'image/svg+xml';

/** URL path -> file in ./pages and its content type. The form paths match the original service's. */
const PAGES = [
  { path: '/', file: 'index.html', type: HTML },
  { path: '/en', file: 'en.html', type: HTML },
  { path: '/index_post.html', file: 'index_post.html', type: HTML },
  { path: '/index_get.html', file: 'index_get.html', type: HTML },
  { path: '/index_delete.html', file: 'index_delete.html', type: HTML },
  { path: '/index_saldo.html', file: 'index_saldo.html', type: HTML },
  { path: '/style.css', file: 'style.css', type: CSS },
  // Browsers ask for /favicon.ico whatever the page says: an SVG there (they all read it) spares the 404s.
  { path: '/favicon.ico', file: 'favicon.svg', type: SVG },
  { path: '/favicon.svg', file: 'favicon.svg', type: SVG },
] as const;

/**
 * The public browser pages: home (Italian at `/`, English at `/en`), the four test forms that post
 * to `/index_ws.php`, and their shared stylesheet. Files are read once, at registration, so a
 * missing file fails at startup rather than on the first request.
 *
 * @example
 * const app = Fastify();
 * await app.register(pageRoutes);
 */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  for (const page of PAGES) {
    const body = readFileSync(new URL(`./pages/${page.file}`, import.meta.url), 'utf8');
    app.get(page.path, async (_request, reply) =>
      reply.type(page.type).header('cache-control', 'no-cache').send(body),
    );
  }
}
