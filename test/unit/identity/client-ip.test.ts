import { describe, expect, it } from 'vitest';
import { normaliseIp, resolveClientIp } from '../../../lambdas/identity/client-ip';

describe('resolveClientIp', () => {
  it('uses sourceIp with TRUSTED_PROXY_COUNT=0, whatever X-Forwarded-For says', () => {
    // Act & Assess
    expect(resolveClientIp('15.248.3.126', '6.6.6.6, 15.248.3.126', 0)).toBe('15.248.3.126');
  });

  it('takes the N-th entry from the right of X-Forwarded-For followed by sourceIp', () => {
    // Prepare
    const xff = '1.1.1.1, 2.2.2.2, 3.3.3.3';

    // Act & Assess
    expect(resolveClientIp('9.9.9.9', xff, 1)).toBe('3.3.3.3');
    expect(resolveClientIp('9.9.9.9', xff, 2)).toBe('2.2.2.2');
    expect(resolveClientIp('9.9.9.9', xff, 3)).toBe('1.1.1.1');
  });

  it('ignores forged entries a client prepends (never the left end)', () => {
    // Prepare: behind one proxy, the client forged two entries before the proxy appended its real peer.
    const forged = '10.0.0.1, 127.0.0.1, 203.0.113.7';

    // Act
    const ip = resolveClientIp('198.51.100.1', forged, 1);

    // Assess
    expect(ip).toBe('203.0.113.7');
  });

  it('falls back to sourceIp when the chain is shorter than the proxy count or the entry is not an address', () => {
    // Act & Assess
    expect(resolveClientIp('198.51.100.1', '203.0.113.7', 2)).toBe('198.51.100.1');
    expect(resolveClientIp('198.51.100.1', undefined, 1)).toBe('198.51.100.1');
    expect(resolveClientIp('198.51.100.1', '203.0.113.7, <script>', 1)).toBe('198.51.100.1');
  });

  it('returns undefined when nothing usable is left', () => {
    // Act & Assess
    expect(resolveClientIp('IP', undefined, 0)).toBeUndefined();
    expect(resolveClientIp(undefined, undefined, 0)).toBeUndefined();
  });
});

describe('normaliseIp', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    [' 203.0.113.7 ', '203.0.113.7'],
    ['203.0.113.7:443', '203.0.113.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
  ])('normalises %j to %j', (input, expected) => {
    // Act & Assess
    expect(normaliseIp(input)).toBe(expected);
  });

  it.each(['127.1', '0x7f.0.0.1', '017.0.0.1', '256.1.1.1', 'fe80::1%eth0', 'unknown', '', '1.2.3'])(
    'refuses %j',
    (input) => {
      // Act & Assess
      expect(normaliseIp(input)).toBeUndefined();
    },
  );
});
