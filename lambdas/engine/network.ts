import ipaddr from 'ipaddr.js';

/**
 * Canonical text of an IP address (IPv4 dotted quad, IPv6 RFC 5952 compressed; IPv4-mapped IPv6 becomes IPv4),
 * or undefined when the text is not an address. Parsing is done by the kept library ipaddr.js.
 */
export function canonicalIp(text: string | undefined): string | undefined {
  if (!text || text.length > 64) return undefined;
  const trimmed = text.trim();
  try {
    if (!ipaddr.isValid(trimmed)) return undefined;
    const addr = ipaddr.parse(trimmed);
    if (addr.kind() === 'ipv6') {
      const v6 = addr as ipaddr.IPv6;
      if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
      // Zone ids (fe80::1%eth0) never reach API Gateway; drop them so keys stay canonical.
      return ipaddr.IPv6.parse(trimmed.split('%')[0] ?? trimmed).toRFC5952String();
    }
    // ipaddr.js accepts legacy forms (0x7f.1, 127.1); only a strict dotted quad is a real client address.
    return ipaddr.IPv4.isValidFourPartDecimal(trimmed) ? addr.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** The network prefix an address is counted under: IPv4 /24, IPv6 /64 (one customer site). */
export function networkPrefix(ip: string): string | undefined {
  // Clients repeat: remember recent answers (bounded; cleared when full) instead of parsing every request twice.
  const hit = prefixes.get(ip);
  if (hit !== undefined) return hit || undefined;
  const prefix = computePrefix(ip);
  if (prefixes.size >= MAX_REMEMBERED) prefixes.clear();
  prefixes.set(ip, prefix ?? '');
  return prefix;
}

const MAX_REMEMBERED = 10_000;
const prefixes = new Map<string, string>();

function computePrefix(ip: string): string | undefined {
  const canonical = canonicalIp(ip);
  if (!canonical) return undefined;
  const addr = ipaddr.parse(canonical);
  if (addr.kind() === 'ipv4') {
    const o = (addr as ipaddr.IPv4).octets;
    return `${o[0]}.${o[1]}.${o[2]}.0/24`;
  }
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  const network = new ipaddr.IPv6([...parts, 0, 0, 0, 0]);
  return `${network.toRFC5952String()}/64`;
}

/** 32-bit FNV-1a: a fast, stable hash for bounded sketches (not for security). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
