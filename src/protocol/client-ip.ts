import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/**
 * The client address of a request exactly as Fastify's `request.ip` reads it, for code that
 * answers before Fastify (the text protocol's fast path): the socket's peer, or with trustProxy
 * the first address of X-Forwarded-For, through the same library.
 */
export function clientIpReader(trustProxy: boolean): (req: IncomingMessage) => string {
  if (!trustProxy) return (req) => req.socket.remoteAddress as string;
  const trustAll = () => true;
  return (req) => {
    const addresses = proxyAddr.all(req, trustAll);
    return addresses[addresses.length - 1];
  };
}
