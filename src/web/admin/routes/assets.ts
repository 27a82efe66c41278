import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);

/**
 * The back office's static files: its stylesheet and dashboard script, and uPlot served from
 * the installed package (no CDN: the CSP allows only this origin, and the back office works
 * offline). Read once at registration, so a missing file fails at startup.
 */
const ASSETS = [
  { name: 'admin.css', path: new URL('../static/admin.css', import.meta.url), type: 'text/css; charset=utf-8' },
  { name: 'dashboard.js', path: new URL('../static/dashboard.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  { name: 'uPlot.iife.min.js', path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  { name: 'uPlot.min.css', path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
] as const;

export function assetRoutes(app: FastifyInstance): void {
  for (const asset of ASSETS) {
    const body = readFileSync(asset.path);
    app.get(`/assets/${asset.name}`, { config: { access: 'public' } }, async (_req, reply) =>
      reply.type(asset.type).header('cache-control', 'no-cache').send(body),
    );
  }
}
