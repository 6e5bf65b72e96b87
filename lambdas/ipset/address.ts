import ipaddr from 'ipaddr.js';
import { InvalidAddressError } from './errors';

/** WAF's name for an IP version; one version per IP set. */
export type IpVersion = 'IPV4' | 'IPV6';

/** Bits in an address of each version. */
export const ADDRESS_BITS: Readonly<Record<IpVersion, number>> = { IPV4: 32, IPV6: 128 };

/** An address or prefix in the exact form written to a WAF IP set. */
export interface WafCidr {
  /** Canonical CIDR: IPv4 dotted quad, IPv6 RFC 5952 (lower case, compressed), always with a prefix length. */
  readonly cidr: string;
  readonly version: IpVersion;
  readonly prefixLength: number;
  /** The network address as an unsigned integer (host bits zero), for containment and ordering. */
  readonly network: bigint;
}

/**
 * Parses an address (`192.0.2.7`, `2001:DB8::7`) or CIDR (`192.0.2.0/24`) into WAF form.
 *
 * - A bare address becomes a host entry: IPv4 `/32`, IPv6 `/128`.
 * - IPv4-mapped IPv6 (`::ffff:192.0.2.7`, `::ffff:192.0.2.0/120`) becomes IPv4, because WAF matches the
 *   client's IPv4 address against the IPv4 set; left as IPv6 it would never match.
 * - Host bits of a prefix are cleared (`192.0.2.9/24` -> `192.0.2.0/24`): a blocked prefix means the network.
 * - Rejected: `/0` (WAF refuses it), zone ids (`fe80::1%eth0`), and IPv4 shorthand such as `127.1` or leading
 *   zeros, which different parsers read differently (octal or decimal).
 *
 * @throws {InvalidAddressError} when the input is none of the above.
 */
export function parseWafCidr(input: string): WafCidr {
  const text = input.trim();
  if (text.length === 0) throw new InvalidAddressError(input, 'empty');
  if (text.includes('%')) throw new InvalidAddressError(input, 'zone ids are not routable outside the host');
  const parts = text.split('/');
  if (parts.length > 2) throw new InvalidAddressError(input, 'more than one "/"');
  const [addressText = '', prefixText] = parts;
  let prefix: number | undefined;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) throw new InvalidAddressError(input, 'prefix length is not a number');
    prefix = Number(prefixText);
  }

  let version: IpVersion;
  let value: bigint;
  if (ipaddr.IPv4.isValidFourPartDecimal(addressText)) {
    version = 'IPV4';
    value = bytesToBigInt(ipaddr.IPv4.parse(addressText).toByteArray());
  } else if (addressText.includes(':') && ipaddr.IPv6.isValid(addressText)) {
    const v6 = ipaddr.IPv6.parse(addressText);
    if (v6.isIPv4MappedAddress()) {
      if (prefix !== undefined && prefix < 96) {
        throw new InvalidAddressError(input, 'an IPv4-mapped prefix shorter than /96 is not an IPv4 range');
      }
      version = 'IPV4';
      value = bytesToBigInt(v6.toIPv4Address().toByteArray());
      prefix = prefix === undefined ? undefined : prefix - 96;
    } else {
      version = 'IPV6';
      value = bytesToBigInt(v6.toByteArray());
    }
  } else {
    throw new InvalidAddressError(input, 'not an IPv4 dotted quad or an IPv6 address');
  }

  const bits = ADDRESS_BITS[version];
  const prefixLength = prefix ?? bits;
  if (prefixLength < 1 || prefixLength > bits) {
    throw new InvalidAddressError(input, `prefix length must be 1-${bits} for ${version}`);
  }
  const network = maskNetwork(value, prefixLength, version);
  return { cidr: `${formatAddress(network, version)}/${prefixLength}`, version, prefixLength, network };
}

/** Like {@link parseWafCidr} but returns undefined instead of throwing. */
export function tryParseWafCidr(input: string): WafCidr | undefined {
  try {
    return parseWafCidr(input);
  } catch {
    return undefined;
  }
}

/** True when the entry covers a single address (`/32` or `/128`). */
export function isHostEntry(entry: Pick<WafCidr, 'version' | 'prefixLength'>): boolean {
  return entry.prefixLength === ADDRESS_BITS[entry.version];
}

/** Clears the host bits of `value` below `prefixLength`. */
export function maskNetwork(value: bigint, prefixLength: number, version: IpVersion): bigint {
  const hostBits = BigInt(ADDRESS_BITS[version] - prefixLength);
  return (value >> hostBits) << hostBits;
}

/** Builds the WAF entry for the network of `entry` at a shorter `prefixLength`. */
export function widenTo(entry: WafCidr, prefixLength: number): WafCidr {
  const network = maskNetwork(entry.network, prefixLength, entry.version);
  return {
    cidr: `${formatAddress(network, entry.version)}/${prefixLength}`,
    version: entry.version,
    prefixLength,
    network,
  };
}

/** Formats an unsigned address in canonical text (IPv6 per RFC 5952). */
export function formatAddress(value: bigint, version: IpVersion): string {
  if (version === 'IPV4') {
    return [24n, 16n, 8n, 0n].map((shift) => Number((value >> shift) & 0xffn)).join('.');
  }
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  return new ipaddr.IPv6(parts).toRFC5952String();
}

/** Total order on entries: version, then network, then prefix length (shorter first). */
export function compareCidrs(a: WafCidr, b: WafCidr): number {
  if (a.version !== b.version) return a.version === 'IPV4' ? -1 : 1;
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.prefixLength - b.prefixLength;
}

function bytesToBigInt(bytes: readonly number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}
