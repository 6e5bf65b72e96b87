import ipaddr from 'ipaddr.js';

/**
 * Validates and normalises one address: IPv4 in dotted-quad only (no `0x7f.1` or `127.1` forms), IPv6 in RFC 5952
 * form, IPv4-mapped IPv6 turned into IPv4, an optional port or brackets stripped. Zone ids are refused.
 * @returns the canonical text, or undefined when `value` is not an address
 */
export function normaliseIp(value: string): string | undefined {
  let text = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed !== null) text = bracketed[1]!;
  else if (/^[\d.]+:\d{1,5}$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  if (text.length === 0 || text.length > 45 || text.includes('%')) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text).toString();
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return undefined;
  const address = ipaddr.IPv6.parse(text);
  return address.isIPv4MappedAddress() ? address.toIPv4Address().toString() : address.toString();
}

/**
 * The client address per `TRUSTED_PROXY_COUNT`.
 *
 * Addresses are read from the right of the chain `X-Forwarded-For` + `sourceIp`: each trusted proxy appends the
 * peer it saw, so the entry `trustedProxyCount` places left of `sourceIp` is the last one written by something
 * we trust. Everything further left was written by the client and is never used (a forged `X-Forwarded-For`
 * only adds entries on the left).
 *
 * - `0`: `sourceIp` (API Gateway's TCP peer).
 * - `N`: the N-th entry from the right of `X-Forwarded-For`.
 * - When the chain is shorter than N, or the selected entry is not a valid address, `sourceIp` is used: it is the
 *   one address no client can write, and a short chain means the request did not pass through the proxies.
 *
 * @returns the normalised address, or undefined when nothing usable is left (e.g. a garbage `sourceIp`)
 */
export function resolveClientIp(
  sourceIp: string | undefined,
  forwardedFor: string | undefined,
  trustedProxyCount: number,
): string | undefined {
  const peer = sourceIp === undefined ? undefined : normaliseIp(sourceIp);
  if (trustedProxyCount <= 0 || forwardedFor === undefined) return peer;
  const entries = forwardedFor.split(',');
  const index = entries.length - trustedProxyCount;
  if (index < 0) return peer;
  const selected = entries[index];
  return (selected === undefined ? undefined : normaliseIp(selected)) ?? peer;
}
