import ipaddr from 'ipaddr.js';

/**
 * Why a webhook may not be sent to an IP address, or null when it may (SSRF rules). Only what
 * ipaddr.js classifies as plain `unicast` is allowed: loopback, private, carrier-grade NAT,
 * link-local, unique-local, unspecified, multicast, broadcast, benchmarking (198.18/15),
 * reserved (192.0.0/24, 240/4, documentation ranges), and the IPv6 forms that carry an IPv4
 * address (IPv4-mapped, NAT64, 6to4, Teredo) are all refused. A hand list missed several of
 * those spellings (issue 15): the library knows the ranges; this adds what it does not:
 * - IPv6 must lie in 2000::/3, the global unicast space: ipaddr.js calls the rest of ::/8,
 *   IPv4-compatible `::a.b.c.d` included, `unicast`;
 * - an embedded IPv4 address is unwrapped and named in the reason, so the log says which
 *   internal address a spelling pointed at.
 * The address must be a literal (dotted IPv4 or IPv6, brackets and zone allowed); anything else
 * is refused as not an address.
 */
export function refusedAddressReason(address: string): string | null {
  const literal = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(literal)) return `${address} is not an IP address`;
  const parsed = ipaddr.parse(literal);
  if (parsed.kind() === 'ipv4') {
    const range = (parsed as ipaddr.IPv4).range();
    return range === 'unicast' ? null : `${parsed.toString()} is a ${describeRange(range)} address`;
  }
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  const embedded = embeddedIPv4(v6);
  if (embedded) {
    const inner = embedded.range();
    const target = inner === 'unicast' ? embedded.toString() : `${embedded.toString()}, ${describeRange(inner)}`;
    return `${v6.toString()} (${describeRange(range)}) carries the IPv4 address ${target}`;
  }
  if (range !== 'unicast') return `${v6.toString()} is a ${describeRange(range)} address`;
  if (!v6.match(GLOBAL_UNICAST)) return `${v6.toString()} is outside the global unicast range`;
  return null;
}

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/** The IPv4 address an IPv6 address carries, for the forms that carry one; null otherwise. */
function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = v6.parts;
  const fromWords = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const range = v6.range();
  // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (RFC 6145 translated): the last 32 bits.
  if (range === 'ipv4Mapped' || range === 'rfc6145') return fromWords(p[6], p[7]);
  if (v6.match(NAT64_WELL_KNOWN)) return fromWords(p[6], p[7]);
  // 6to4: 2002:AABB:CCDD::/48 routes to AA.BB.CC.DD.
  if (range === '6to4') return fromWords(p[1], p[2]);
  // Teredo: 2001:0:server:flags:port:client, the client address stored inverted.
  if (range === 'teredo') return fromWords(p[6] ^ 0xffff, p[7] ^ 0xffff);
  // Deprecated IPv4-compatible ::a.b.c.d (not :: or ::1, which are unspecified and loopback).
  if (v6.match(IPV4_COMPATIBLE) && range !== 'unspecified' && range !== 'loopback') return fromWords(p[6], p[7]);
  return null;
}

const RANGE_WORDS: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  reserved: 'reserved',
  uniqueLocal: 'unique-local (private)',
  ipv4Mapped: 'IPv4-mapped',
  rfc6145: 'IPv4-translated',
  rfc6052: 'NAT64',
  '6to4': '6to4',
  teredo: 'Teredo',
  benchmarking: 'benchmarking',
  unicast: 'IPv4-compatible',
};

function describeRange(range: string): string {
  return RANGE_WORDS[range] ?? `special-purpose (${range})`;
}
