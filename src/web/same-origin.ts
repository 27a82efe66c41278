import type { FastifyRequest } from 'fastify';

/** This server's origin as the browser names it (URL drops a default port: Host may carry one). */
function ownOrigin(req: FastifyRequest): string {
  try {
    return new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return '';
  }
}

/**
 * A form POST must come from our own pages: Origin (or, when a browser sends none, Referer)
 * must be this server. Pages set Referrer-Policy same-origin, because under no-referrer a
 * browser sends `Origin: null` even to itself. A request with neither header (not a browser)
 * is judged by its CSRF token alone. The same rule as the back office's guard.
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) return origin !== '' && origin === ownOrigin(req);
  const referer = req.headers.referer;
  if (referer === undefined) return true;
  try {
    return new URL(referer).origin === ownOrigin(req);
  } catch {
    return false;
  }
}
