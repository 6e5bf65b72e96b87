import { describe, expect, it } from 'vitest';
import { parseWafCidr, tryParseWafCidr } from '../../../lambdas/ipset/address';
import { isInvalidAddressError } from '../../../lambdas/ipset/errors';

describe('parseWafCidr', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7/32'],
    [' 192.0.2.7 ', '192.0.2.7/32'],
    ['192.0.2.7/32', '192.0.2.7/32'],
    ['192.0.2.9/24', '192.0.2.0/24'],
    ['10.0.0.0/8', '10.0.0.0/8'],
  ])('IPv4 %s -> %s', (input, expected) => {
    // Prepare / Act
    const parsed = parseWafCidr(input);

    // Assess
    expect(parsed.cidr).toBe(expected);
    expect(parsed.version).toBe('IPV4');
  });

  it.each([
    ['2001:DB8::1', '2001:db8::1/128'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'],
    ['2001:db8::abcd:1/64', '2001:db8::/64'],
    ['2001:DB8:AAAA:BBBB:1:2:3:4/48', '2001:db8:aaaa::/48'],
    ['::1', '::1/128'],
    ['2001:db8::192.0.2.1', '2001:db8::c000:201/128'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1/128'],
  ])('IPv6 %s -> %s (RFC 5952: lower case, longest zero run compressed)', (input, expected) => {
    // Prepare / Act
    const parsed = parseWafCidr(input);

    // Assess
    expect(parsed.cidr).toBe(expected);
    expect(parsed.version).toBe('IPV6');
  });

  it.each([
    ['::ffff:192.0.2.7', '192.0.2.7/32'],
    ['::FFFF:C000:0207', '192.0.2.7/32'],
    ['::ffff:192.0.2.0/120', '192.0.2.0/24'],
  ])('IPv4-mapped IPv6 %s becomes IPv4 %s, so it lands in the IPv4 set', (input, expected) => {
    // Prepare / Act
    const parsed = parseWafCidr(input);

    // Assess
    expect(parsed).toMatchObject({ cidr: expected, version: 'IPV4' });
  });

  it.each([
    '',
    'not-an-ip',
    '127.1',
    '010.0.0.1',
    '192.0.2.256',
    '192.0.2.0/0',
    '::/0',
    '192.0.2.0/33',
    '2001:db8::/129',
    'fe80::1%eth0',
    '192.0.2.0/24/8',
    '192.0.2.0/abc',
    '::ffff:192.0.2.0/64',
  ])('rejects %j with an InvalidAddressError', (input) => {
    // Prepare / Act
    let caught: unknown;
    try {
      parseWafCidr(input);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(isInvalidAddressError(caught)).toBe(true);
    expect(tryParseWafCidr(input)).toBeUndefined();
  });
});
