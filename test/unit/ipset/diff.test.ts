import { describe, expect, it } from 'vitest';
import { diffAddresses } from '../../../lambdas/ipset/diff';

describe('diffAddresses', () => {
  it('adds what is missing and removes what is not desired', () => {
    // Prepare
    const current = ['192.0.2.1/32', '192.0.2.2/32'];
    const desired = ['192.0.2.2/32', '192.0.2.3/32'];

    // Act
    const diff = diffAddresses(current, desired);

    // Assess
    expect(diff).toEqual({ add: ['192.0.2.3/32'], remove: ['192.0.2.1/32'], changed: true });
  });

  it('compares by meaning: another spelling of a desired entry is no change', () => {
    // Prepare
    const current = ['2001:DB8:0:0:0:0:0:1/128', '192.0.2.0/24'];
    const desired = ['2001:db8::1/128', '192.0.2.0/24'];

    // Act
    const diff = diffAddresses(current, desired);

    // Assess
    expect(diff.changed).toBe(false);
  });

  it('removes unparseable entries and duplicates so the next write is clean', () => {
    // Prepare
    const current = ['garbage', '192.0.2.1/32', '192.0.2.1/32'];

    // Act
    const diff = diffAddresses(current, ['192.0.2.1/32']);

    // Assess
    expect(diff).toEqual({ add: [], remove: ['garbage', '192.0.2.1/32'], changed: true });
  });

  it('an empty desired list empties the set', () => {
    // Prepare / Act
    const diff = diffAddresses(['192.0.2.1/32'], []);

    // Assess
    expect(diff).toEqual({ add: [], remove: ['192.0.2.1/32'], changed: true });
  });
});
