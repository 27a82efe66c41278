import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/** The portal's own stylesheet and script (the back office's stylesheet is shared from /admin/assets). */
const ASSETS = [
  { name: 'portal.css', path: new URL('../static/portal.css', import.meta.url), type: 'text/css; charset=utf-8' },
  { name: 'portal.js', path: new URL('../static/portal.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
] as const;

export function portalAssetRoutes(app: FastifyInstance): void {
  for (const asset of ASSETS) {
    const body = readFileSync(asset.path);
    app.get(`/assets/${asset.name}`, { config: { portalAccess: 'public' } }, async (_req, reply) =>
      reply.type(asset.type).header('cache-control', 'no-cache').send(body),
    );
  }
}
