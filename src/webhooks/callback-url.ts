import { isIP } from 'node:net';
import { refusedAddressReason } from './target-address.ts';

/**
 * Webhook targets must be http(s) and, unless allowed by configuration, not loopback, private,
 * link-local or otherwise internal addresses: a customer must not make our servers call into
 * our own network (SSRF). Names are checked again after DNS resolution at delivery time.
 *
 * The WHATWG URL parser has already turned the other IPv4 spellings (`2130706433`, `0x7f.1`,
 * `017700000001`, `127.1`, full-width digits) into dotted decimal and compressed IPv6, so the
 * address rules see one form; a zone id (`[fe80::1%25eth0]`) is not a valid URL at all.
 */
export function callbackUrlProblem(value: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https URLs are allowed';
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host)) {
    const why = refusedAddressReason(host);
    return why ? `loopback, private and other internal addresses are not allowed: ${why}` : null;
  }
  return hostNameProblem(host);
}

/** Names that only mean something inside a network; `localhost.` is `localhost` (DNS root). */
const INTERNAL_SUFFIXES = ['localhost', 'local', 'internal', 'localdomain', 'home.arpa', 'lan', 'intranet'];

function hostNameProblem(name: string): string | null {
  const host = name.replace(/\.+$/, '');
  if (!host.includes('.')) return host === 'localhost' ? 'internal host names are not allowed' : 'the host name has no domain (internal names are not allowed)';
  if (INTERNAL_SUFFIXES.some((s) => host === s || host.endsWith(`.${s}`))) return 'internal host names are not allowed';
  // A name that is an address once the trailing dots go ("127.0.0.1." parses as a name in some
  // resolvers): judged as the address.
  if (isIP(host)) return refusedAddressReason(host) ? 'loopback, private and other internal addresses are not allowed' : null;
  return null;
}
