import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/** sha256 of the <style> element swagger-ui-bundle.js (@fastify/swagger-ui 6.1.3) inserts. */
const SWAGGER_UI_STYLE_HASH = 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w=';

/** Overrides of Swagger UI's colours that axe found below 4.5:1 (method badges, version stamps, links, schema buttons). */
const CONTRAST_CSS = `
.swagger-ui .opblock .opblock-summary-method { color: #000; text-shadow: none; }
.swagger-ui .info .title small, .swagger-ui .info .title small pre { color: #000; }
.swagger-ui .info .url, .swagger-ui .info a { color: #1f5fa8; }
.swagger-ui .topbar .download-url-wrapper .download-url-button { background: #3d6b25; color: #fff; }
.swagger-ui .btn.authorize { color: #1d7a4f; border-color: #1d7a4f; }
.swagger-ui .btn.authorize span { color: #1d7a4f; }
.swagger-ui .btn.authorize svg { fill: #1d7a4f; }
.swagger-ui .json-schema-2020-12-expand-deep-button { color: #4a4a4a; }
`;

/**
 * /openapi.json (OpenAPI 3.1) generated from the zod schemas that validate the routes, and a
 * /docs page served from the package (no CDN). Registered before the routes so it sees them all.
 */
export const openApiDocs = fp(async function openApiDocs(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'cercapec JSON API',
        version: '1.0.0',
        description:
          'PEC lookups by codice fiscale or partita IVA. The same accounts, keys, billing and requests as the text protocol at /index_ws.php: a lookup id is the text protocol token. Errors are application/problem+json (RFC 9457).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Your API key' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
    hideUntagged: true,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The package's policy (scripts from the package only, its initializer a static file), plus
    // the hash of the one fixed <style> element Swagger UI's bundle inserts at start: without it
    // every load logged a CSP violation (issue 17). A new swagger-ui version changes that text:
    // test/web/docs.browser.test.ts then fails with the new hash in its message.
    staticCSP: true,
    // Swagger UI's own colours fail WCAG contrast (axe: 61 nodes); darker text where they did.
    theme: { css: [{ filename: 'contrast.css', content: CONTRAST_CSS }] },
    transformStaticCSP: (header) => header.replace("style-src 'self' https:", `style-src 'self' https: '${SWAGGER_UI_STYLE_HASH}'`),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
