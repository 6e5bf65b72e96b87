import { describe, expect, it } from 'vitest';
import { mergeRegionalItems, UpdateBuilder } from '../../../lambdas/engine/counter-layout';
import { ownRegionUpdate, planRegionalExchange } from '../../../lambdas/store/regional-exchange';
import { type RegionLayout, regionalKey, regionLayout } from '../../../lambdas/store/regions';
import { blockKey, counterKey, offencesKey } from '../../../lambdas/store/table-schema';

const THREE: RegionLayout = { own: 'eu-west-1', all: ['us-east-1', 'eu-west-1', 'ap-southeast-2'] };

describe('Region layout', () => {
  it('qualifies counter keys by Region and leaves block records and offences shared', () => {
    // Prepare
    const counter = counterKey('ip', '2001:db8::1');
    // Act / Assess
    expect(regionalKey(counter, 'us-east-1')).toEqual({ pk: 'ip#2001:db8::1@us-east-1', sk: 'counter' });
    expect(regionalKey(blockKey('ip', '192.0.2.1'), 'us-east-1')).toEqual(blockKey('ip', '192.0.2.1'));
    expect(regionalKey(offencesKey('subject', 'a'), 'us-east-1')).toEqual(offencesKey('subject', 'a'));
  });

  it('keeps plain keys for one Region or none, whatever this Region is', () => {
    expect(regionLayout(undefined, 'us-east-1')).toBeUndefined();
    expect(regionLayout('', undefined)).toBeUndefined();
    expect(regionLayout('us-east-1', 'eu-west-1')).toBeUndefined();
  });

  it('refuses more Regions than one batch read can cover', () => {
    const many = Array.from({ length: 26 }, (_, i) => `us-${String.fromCharCode(97 + i)}east-1`).join(',');
    expect(() => regionLayout(many, 'us-aeast-1')).toThrow(/GATEWARDEN_REGIONS lists 26 Regions; at most 25/);
  });
});

describe("merging the Regions' copies of an item", () => {
  it('sums counts, unions sketches, keeps the earliest firstSeen and the latest times', () => {
    // Prepare
    const key = counterKey('sub', 'alice');
    const us = {
      pk: `${key.pk}@us-east-1`,
      sk: 'counter',
      r100: 3,
      f100: 1,
      tr5: 4,
      q9: 10,
      ips5: new Set([1, 2]),
      firstSeen: 1000,
      expiresAt: 9000,
      j_abc: 500,
    };
    const eu = {
      pk: `${key.pk}@eu-west-1`,
      sk: 'counter',
      r100: 4,
      r101: 2,
      tr5: 1,
      q9: 6,
      ips5: new Set([2, 7]),
      firstSeen: 900,
      expiresAt: 9500,
      blockedUntil: 7000,
      j_abc: 700,
    };
    // Act
    const merged = mergeRegionalItems(key, [us, undefined, eu]);
    // Assess
    expect(merged).toEqual({
      pk: key.pk,
      sk: 'counter',
      r100: 7,
      r101: 2,
      f100: 1,
      tr5: 5,
      q9: 16,
      ips5: new Set([1, 2, 7]),
      firstSeen: 900,
      expiresAt: 9500,
      blockedUntil: 7000,
      j_abc: 700,
    });
    // The copies themselves are not changed (the in-memory store hands out its live items).
    expect(us.ips5).toEqual(new Set([1, 2]));
    expect(mergeRegionalItems(key, [undefined, undefined])).toBeUndefined();
  });

  it('plans one exchange: own copy written, every other copy read, the answers merged by logical key', () => {
    // Prepare
    const id = counterKey('sub', 'bob');
    const ip = counterKey('ip', '192.0.2.9');
    const update = new UpdateBuilder(id.pk, id.sk).add('r100', 1).build(9000);
    // Act
    const plan = planRegionalExchange(THREE, update, [ip]);
    const out = plan.assemble(
      { pk: `${id.pk}@eu-west-1`, sk: 'counter', r100: 1 },
      new Map([
        [`${id.pk}@us-east-1`, { pk: `${id.pk}@us-east-1`, sk: 'counter', r100: 5 }],
        [`${ip.pk}@ap-southeast-2`, { pk: `${ip.pk}@ap-southeast-2`, sk: 'counter', x100: 2 }],
        [`${ip.pk}@eu-west-1`, { pk: `${ip.pk}@eu-west-1`, sk: 'counter', x100: 1 }],
      ]),
    );
    // Assess: one write (this Region's copy); reads grow by Regions − 1 for the updated key, × Regions for the rest
    expect(plan.update?.pk).toBe(`${id.pk}@eu-west-1`);
    expect(plan.reads.map((k) => k.pk).sort()).toEqual(
      [
        `${id.pk}@us-east-1`,
        `${id.pk}@ap-southeast-2`,
        `${ip.pk}@us-east-1`,
        `${ip.pk}@eu-west-1`,
        `${ip.pk}@ap-southeast-2`,
      ].sort(),
    );
    expect(out.updated).toMatchObject({ pk: id.pk, r100: 6 });
    expect(out.read.get(ip.pk)).toMatchObject({ pk: ip.pk, x100: 3 });
    expect(ownRegionUpdate(THREE, update).pk).toBe(`${id.pk}@eu-west-1`);
    expect(ownRegionUpdate(undefined, update)).toBe(update);
  });
});
