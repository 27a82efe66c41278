/**
 * Request ids for the log, numbered as Fastify numbers them by default (`req-1`, `req-2`… in
 * base 36). One counter per app, given to Fastify (genReqId) and to the text protocol's fast
 * path, so ids stay unique whichever path answered.
 */
export function createRequestIds(): () => string {
  let next = 0;
  return () => {
    next = (next + 1) & 0x7fffffff;
    return `req-${next.toString(36)}`;
  };
}
