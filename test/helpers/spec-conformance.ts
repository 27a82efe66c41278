import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenAPIBackend } from 'openapi-backend';
import type { StandinRequest } from '../../src/standins/standin-server.ts';

/**
 * Checks what our clients send and what our stand-ins answer against the registries' published
 * OpenAPI files, kept in test/fixtures/specs (their sources and licences are in the README
 * there). A missing file fails the test: the checks never skip.
 */
export const SPECS_DIR = fileURLToPath(new URL('../fixtures/specs/', import.meta.url));

export interface SpecChecker {
  /** Problems of a request a client sent (empty when it conforms). `prefix` is the base path stripped first. */
  request(r: StandinRequest, prefix?: string): string[];
  /** Problems of a response body for the operation the request matched. */
  response(r: StandinRequest, status: number, body: unknown, prefix?: string): string[];
}

/** The checker for one spec file of test/fixtures/specs. */
export async function loadSpec(file: string): Promise<SpecChecker> {
  const path = resolve(SPECS_DIR, file);
  if (!existsSync(path)) throw new Error(`spec ${file} not found in ${SPECS_DIR}`);
  let api = new OpenAPIBackend({ definition: path, strict: true, quick: false, validate: true });
  try {
    await api.init();
  } catch {
    // A published spec may break OpenAPI's own rules where it does not matter (InfoCamere's puts
    // `example` beside `$ref` under /sede): its operations still check, loaded without that test.
    api = new OpenAPIBackend({ definition: path, strict: false, quick: true, validate: true });
    await api.init();
  }

  function toOpenApiRequest(r: StandinRequest, prefix = '') {
    const path = prefix && r.path.startsWith(prefix) ? r.path.slice(prefix.length) || '/' : r.path;
    const type = String(r.headers['content-type'] ?? '');
    let body: unknown = r.body;
    if (type.includes('json') && r.body) {
      try {
        body = JSON.parse(r.body);
      } catch {
        body = r.body;
      }
    } else if (type.includes('x-www-form-urlencoded')) {
      body = Object.fromEntries(new URLSearchParams(r.body));
    }
    return { method: r.method.toLowerCase(), path, headers: r.headers as Record<string, string>, query: Object.fromEntries(r.query), body };
  }

  return {
    request(r, prefix) {
      const req = toOpenApiRequest(r, prefix);
      const operation = api.matchOperation(req as never);
      if (!operation) return [`no operation in ${file} for ${r.method} ${req.path}`];
      const result = api.validateRequest(req as never, operation);
      return result.valid ? [] : (result.errors ?? []).map((e) => `${r.method} ${req.path}: ${e.instancePath || '(root)'} ${e.message}`);
    },
    response(r, status, body, prefix) {
      const req = toOpenApiRequest(r, prefix);
      const operation = api.matchOperation(req as never);
      if (!operation) return [`no operation in ${file} for ${r.method} ${req.path}`];
      const result = api.validateResponse(body, operation, status);
      return result.valid ? [] : (result.errors ?? []).map((e) => `${status} ${req.path}: ${e.instancePath || '(root)'} ${e.message}`);
    },
  };
}
