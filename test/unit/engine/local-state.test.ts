import { describe, expect, it } from 'vitest';
import { findInjections } from '../../../lambdas/engine/detectors/malicious-input';
import { BlockCache, LocalCounters } from '../../../lambdas/engine/local-state';
import { canonicalIp, networkPrefix } from '../../../lambdas/engine/network';

describe('LocalCounters memory bound', () => {
  it('evicts the least recently written keys, never one written within the last three quarters of capacity', () => {
    // Arrange: capacity 8; `hot` is written after every new key.
    const counters = new LocalCounters(600, 8);
    const now = 1_800_000_000;
    counters.add('hot', 'r', now);

    // Act
    for (let i = 0; i < 40; i += 1) {
      counters.add(`cold-${i}`, 'r', now);
      counters.add('hot', 'r', now);
    }

    // Assess: hot kept all 41 counts; the oldest cold keys are gone, the newest kept.
    expect(counters.count('hot', 'r', now, 60)).toBe(41);
    expect(counters.count('cold-0', 'r', now, 60)).toBe(0);
    expect(counters.count('cold-39', 'r', now, 60)).toBe(1);
  });

  it('reads do not keep a key alive: only writes count as use', () => {
    const counters = new LocalCounters(600, 4);
    const now = 1_800_000_000;
    counters.add('read-only', 'r', now);
    for (let i = 0; i < 10; i += 1) {
      expect(counters.count('read-only', 'r', now, 60)).toBeLessThanOrEqual(1);
      counters.add(`k-${i}`, 'r', now);
    }
    expect(counters.count('read-only', 'r', now, 60)).toBe(0);
  });
});

describe('BlockCache', () => {
  it('serves a block until its re-check time, then forgets it', () => {
    const cache = new BlockCache(60);
    cache.put('ip#203.0.113.9', 1_000 + 900, 1_000, 'ip', 'flood');
    expect(cache.get('ip#203.0.113.9', 1_030)?.scope).toBe('ip');
    expect(cache.get('ip#203.0.113.9', 1_060)).toBeUndefined();
  });
});

describe('remembered verdicts', () => {
  it('findInjections answers the same for a repeated value as for a fresh one', () => {
    const values = [
      "/items?q=' OR 1=1 --",
      'Mozilla/5.0 (X11; Linux x86_64)',
      '%253Cscript%253E',
      '/orders/17',
    ];
    const first = values.map((v) => findInjections([v]));
    const again = values.map((v) => findInjections([v]));
    expect(again).toEqual(first);
    expect(first).toEqual([['sqli'], [], ['xss'], []]);
  });

  it('networkPrefix answers the same on repeat, for valid and invalid input', () => {
    const inputs = ['203.0.113.77', '2001:db8:1:2:3:4:5:6', '::ffff:198.51.100.4', '0x7f.1', 'not-an-ip', ''];
    const first = inputs.map((ip) => networkPrefix(ip));
    expect(inputs.map((ip) => networkPrefix(ip))).toEqual(first);
    expect(first).toEqual([
      '203.0.113.0/24',
      '2001:db8:1:2::/64',
      '198.51.100.0/24',
      undefined,
      undefined,
      undefined,
    ]);
    expect(canonicalIp('::ffff:198.51.100.4')).toBe('198.51.100.4');
  });
});
