import { describe, expect, it } from 'vitest';
import { desiredState } from '../../../lambdas/ipset/desired-state';
import { block, NOW } from '../../helpers/block-records';

describe('desiredState', () => {
  it('keeps active, enforced ip and prefix blocks, split by version', () => {
    // Prepare
    const records = [block('192.0.2.7'), block('198.51.100.0/24'), block('2001:DB8::7')];

    // Act
    const state = desiredState(records, NOW);

    // Assess
    expect(state.entries.IPV4.map((e) => e.cidr)).toEqual(['192.0.2.7/32', '198.51.100.0/24']);
    expect(state.entries.IPV6.map((e) => e.cidr)).toEqual(['2001:db8::7/128']);
  });

  it('expired blocks are left out by our clock, even if TTL has not deleted them yet', () => {
    // Prepare
    const records = [block('192.0.2.7', { expiresAt: NOW }), block('192.0.2.8', { expiresAt: NOW - 1 })];

    // Act
    const state = desiredState(records, NOW);

    // Assess
    expect(state.entries.IPV4).toEqual([]);
    expect(state.ignored.expired).toBe(2);
  });

  it('simulated (shadow-mode) blocks never reach WAF', () => {
    // Prepare / Act
    const state = desiredState([block('192.0.2.7', { simulated: true })], NOW);

    // Assess
    expect(state.entries.IPV4).toEqual([]);
    expect(state.ignored.simulated).toBe(1);
  });

  it('token and subject blocks are for the authorizer, not WAF', () => {
    // Prepare
    const records = [block('abc', { scope: 'token' }), block('user-1', { scope: 'subject' })];

    // Act
    const state = desiredState(records, NOW);

    // Assess
    expect(state.entries).toEqual({ IPV4: [], IPV6: [] });
    expect(state.ignored.notNetwork).toBe(2);
  });

  it('merges records for the same entry to the most severe and newest', () => {
    // Prepare
    const records = [
      block('::ffff:192.0.2.7', { score: 90, offences: 1, createdAt: NOW - 100 }),
      block('192.0.2.7', { score: 70, offences: 3, createdAt: NOW - 10 }),
    ];

    // Act
    const [entry, ...rest] = desiredState(records, NOW).entries.IPV4;

    // Assess
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ cidr: '192.0.2.7/32', score: 90, offences: 3, createdAt: NOW - 10 });
  });

  it('rejects values WAF cannot hold, with a reason, instead of crashing', () => {
    // Prepare
    const records = [
      block('not-an-ip'),
      block('192.0.2.0/24', { scope: 'ip' }),
      block('192.0.2.1', { scope: 'prefix' }),
    ];

    // Act
    const state = desiredState(records, NOW);

    // Assess
    expect(state.entries.IPV4).toEqual([]);
    expect(state.rejected.map((r) => r.value)).toEqual(['not-an-ip', '192.0.2.0/24', '192.0.2.1']);
  });
});
