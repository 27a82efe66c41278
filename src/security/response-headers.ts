/**
 * The security headers of every answer (src/web/security-headers.ts sets them through a hook;
 * the text protocol's fast path writes them itself). The pages carry no script and no inline
 * style, so the policy can forbid both; /docs (Swagger UI) sets its own stricter-than-default policy.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** Set on every answer, in this order, before the content security policy. */
export const SECURITY_HEADERS = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
  ['x-frame-options', 'DENY'],
] as const;
