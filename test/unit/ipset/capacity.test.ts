import { describe, expect, it } from 'vitest';
import { planCapacity } from '../../../lambdas/ipset/capacity';
import { desiredState } from '../../../lambdas/ipset/desired-state';
import type { BlockRecord } from '../../../lambdas/store/table-schema';
import { block, manyIpv4Blocks, NOW } from '../../helpers/block-records';

function entriesOf(records: BlockRecord[]) {
  return desiredState(records, NOW).entries.IPV4;
}

describe('planCapacity', () => {
  it('writes everything when it fits, sorted, within one set', () => {
    // Prepare
    const entries = entriesOf([block('192.0.2.9'), block('192.0.2.7')]);

    // Act
    const plan = planCapacity('IPV4', entries, { setCount: 1, highWater: 10, collapseMinEntries: 0 });

    // Assess
    expect(plan.sets).toEqual([['192.0.2.7/32', '192.0.2.9/32']]);
    expect(plan.leftOut).toEqual([]);
  });

  it('drops entries covered by a blocked prefix: still blocked, not left out', () => {
    // Prepare
    const entries = entriesOf([block('192.0.2.0/24'), block('192.0.2.7'), block('192.0.3.7')]);

    // Act
    const plan = planCapacity('IPV4', entries, { setCount: 1, highWater: 10, collapseMinEntries: 0 });

    // Assess
    expect(plan.sets).toEqual([['192.0.2.0/24', '192.0.3.7/32']]);
    expect(plan.covered).toBe(1);
  });

  it('a prefix that does not fit gives its hosts back: they compete for the room or are reported', () => {
    // Prepare: room for two; the /24 is the least severe, so it is left out, and the host it covered is not lost
    const entries = entriesOf([
      block('192.0.2.0/24', { score: 10 }),
      block('192.0.2.7', { score: 90 }),
      block('198.51.100.1', { score: 50 }),
      block('203.0.113.1', { score: 40 }),
    ]);

    // Act
    const plan = planCapacity('IPV4', entries, { setCount: 1, highWater: 2, collapseMinEntries: 0 });

    // Assess
    expect(plan.sets).toEqual([['192.0.2.7/32', '198.51.100.1/32']]);
    expect(plan.leftOut.map((e) => e.cidr)).toEqual(['203.0.113.1/32', '192.0.2.0/24']);
    expect(plan.covered).toBe(0);
  });

  it('a host left out with the prefix that covered it is reported, not silently dropped', () => {
    // Prepare: the seed-1806299228 shape from CI: equal severity, room for two of three
    const entries = entriesOf([
      block('192.0.2.1'),
      block('198.51.100.1'),
      block('203.0.113.0/25'),
      block('203.0.113.9'),
    ]);

    // Act
    const plan = planCapacity('IPV4', entries, { setCount: 1, highWater: 2, collapseMinEntries: 0 });

    // Assess: every entry is written, covered by a written prefix, or reported
    const written = plan.sets.flat();
    const reported = plan.leftOut.map((e) => e.cidr);
    expect(written).toHaveLength(2);
    for (const cidr of ['192.0.2.1/32', '198.51.100.1/32', '203.0.113.0/25', '203.0.113.9/32']) {
      const coveredByWritten = cidr === '203.0.113.9/32' && written.includes('203.0.113.0/25');
      expect(written.includes(cidr) || reported.includes(cidr) || coveredByWritten, cidr).toBe(true);
    }
  });

  it('above capacity keeps the highest score, then most offences, then newest, and reports the rest', () => {
    // Prepare
    const entries = entriesOf([
      block('192.0.2.1', { score: 50 }),
      block('192.0.2.2', { score: 95 }),
      block('192.0.2.3', { score: 70, offences: 1 }),
      block('192.0.2.4', { score: 70, offences: 4 }),
      block('192.0.2.5', { score: 70, offences: 4, createdAt: NOW - 5 }),
    ]);

    // Act
    const plan = planCapacity('IPV4', entries, { setCount: 1, highWater: 3, collapseMinEntries: 0 });

    // Assess
    expect(plan.sets).toEqual([['192.0.2.2/32', '192.0.2.4/32', '192.0.2.5/32']]);
    expect(plan.leftOut.map((e) => e.cidr)).toEqual(['192.0.2.3/32', '192.0.2.1/32']);
  });

  it('spreads over several sets, each within the high-water mark, losing nothing', () => {
    // Prepare
    const entries = entriesOf(manyIpv4Blocks(2500));

    // Act
    const plan = planCapacity('IPV4', entries, { setCount: 3, highWater: 1000, collapseMinEntries: 0 });

    // Assess
    expect(plan.sets.map((s) => s.length).every((n) => n <= 1000)).toBe(true);
    expect(new Set(plan.sets.flat()).size).toBe(2500);
    expect(plan.leftOut).toEqual([]);
  });

  it('adding one block changes one set only (hash sharding keeps updates small)', () => {
    // Prepare
    const records = manyIpv4Blocks(300);
    const options = { setCount: 4, highWater: 1000, collapseMinEntries: 0 };
    const before = planCapacity('IPV4', entriesOf(records), options);

    // Act
    const after = planCapacity('IPV4', entriesOf([...records, block('203.0.113.5')]), options);

    // Assess
    const changed = after.sets.filter((set, i) => set.join() !== before.sets[i]!.join());
    expect(changed).toHaveLength(1);
  });

  it('collapses the densest prefixes only as far as needed to fit', () => {
    // Prepare: 40 hosts in 192.0.2.0/24, 10 in 198.51.100.0/24, 5 scattered.
    const records = [
      ...Array.from({ length: 40 }, (_, i) => block(`192.0.2.${i + 1}`)),
      ...Array.from({ length: 10 }, (_, i) => block(`198.51.100.${i + 1}`)),
      ...Array.from({ length: 5 }, (_, i) => block(`203.0.${i}.1`)),
    ];

    // Act
    const plan = planCapacity('IPV4', entriesOf(records), {
      setCount: 1,
      highWater: 20,
      collapseMinEntries: 8,
    });

    // Assess
    expect(plan.collapsed).toEqual([{ cidr: '192.0.2.0/24', members: 40 }]);
    expect(plan.sets[0]).toHaveLength(16);
    expect(plan.sets[0]).toContain('192.0.2.0/24');
    expect(plan.leftOut).toEqual([]);
  });

  it('with no set configured for a version, everything is left out (reported, not dropped)', () => {
    // Prepare / Act
    const plan = planCapacity('IPV4', entriesOf([block('192.0.2.1')]), {
      setCount: 0,
      highWater: 9500,
      collapseMinEntries: 0,
    });

    // Assess
    expect(plan.sets).toEqual([]);
    expect(plan.leftOut.map((e) => e.cidr)).toEqual(['192.0.2.1/32']);
  });

  it('never exceeds the WAF limit even if the high-water mark is set above it', () => {
    // Prepare
    const entries = entriesOf(manyIpv4Blocks(10_050));

    // Act
    const plan = planCapacity('IPV4', entries, { setCount: 1, highWater: 20_000, collapseMinEntries: 0 });

    // Assess
    expect(plan.sets[0]).toHaveLength(10_000);
    expect(plan.leftOut).toHaveLength(50);
  });
});
