import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUCKET_SECONDS,
  type BucketKind,
  bucketAttr,
  minuteOf,
  UpdateBuilder,
  windowCounts,
} from '../../lambdas/engine/counter-layout';
import { LocalCounters } from '../../lambdas/engine/local-state';

const KINDS: readonly BucketKind[] = ['r', 'a', 'f', 'h', 'x', 'i'];

/** The sliding window as the layout defines it, read one bucket at a time. */
function reference(item: Record<string, unknown>, kind: BucketKind, now: number, window: number): number {
  const minute = minuteOf(now);
  const full = Math.max(1, Math.round(window / BUCKET_SECONDS));
  let total = 0;
  for (let k = 0; k < full; k += 1) total += Number(item[bucketAttr(kind, minute - k)] ?? 0);
  const elapsed = (now - minute * BUCKET_SECONDS) / BUCKET_SECONDS;
  return total + Number(item[bucketAttr(kind, minute - full)] ?? 0) * (1 - elapsed);
}

const NOW = 1_800_000_000;
const bucketsArb = fc.array(
  fc.record({
    kind: fc.constantFrom(...KINDS),
    minutesAgo: fc.integer({ min: -3, max: 70 }),
    n: fc.integer({ min: 1, max: 1000 }),
  }),
  { maxLength: 60 },
);
const windowsArb = fc
  .tuple(fc.integer({ min: 10, max: 3600 }), fc.integer({ min: 60, max: 4000 }))
  .map(([a, b]) => ({ short: Math.min(a, b), long: Math.max(a, b) }));

describe('window counts', () => {
  it('one pass over an item equals reading every bucket of every kind and window', () => {
    fc.assert(
      fc.property(bucketsArb, windowsArb, fc.integer({ min: 0, max: 59 }), (buckets, w, offset) => {
        const now = NOW + offset;
        const item: Record<string, unknown> = {
          firstSeen: 5,
          ips29999: new Set([1, 2]),
          expiresAt: 9,
          bt_abc: 1,
        };
        for (const b of buckets) {
          const attr = bucketAttr(b.kind, minuteOf(now) - b.minutesAgo);
          item[attr] = Number(item[attr] ?? 0) + b.n;
        }
        const counts = windowCounts(item, now, w.short, w.long);
        for (const kind of KINDS) {
          expect(counts.short[kind]).toBeCloseTo(reference(item, kind, now, w.short), 6);
          expect(counts.long[kind]).toBeCloseTo(reference(item, kind, now, w.long), 6);
        }
      }),
    );
  });

  it("a container's counts read in one pass equal its per-kind counts", () => {
    fc.assert(
      fc.property(bucketsArb, windowsArb, (buckets, w) => {
        const local = new LocalCounters(w.long);
        for (const b of buckets) if (b.minutesAgo >= 0) local.add('k', b.kind, NOW - b.minutesAgo * 60, b.n);
        const counts = local.windowCounts('k', NOW, w.short, w.long);
        for (const kind of KINDS) {
          expect(counts.short[kind]).toBeCloseTo(local.count('k', kind, NOW, w.short), 6);
          expect(counts.long[kind]).toBeCloseTo(local.count('k', kind, NOW, w.long), 6);
        }
      }),
    );
  });
});

describe('UpdateBuilder', () => {
  it('applying requests one by one to a view equals overlaying all of them, and never touches the item', () => {
    const request = fc.record({
      bucket: fc.constantFrom('r1', 'h1', 'i2'),
      slot: fc.integer({ min: 0, max: 63 }),
      mark: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 20 }), (requests) => {
        const item = { r1: 3, ips1: new Set([5]), j_x: 0 };
        const frozen = JSON.stringify({ ...item, ips1: [...item.ips1] });
        const pending = new UpdateBuilder('pk', 'c');
        let view: Record<string, unknown> | undefined;
        for (const r of requests) {
          const one = new UpdateBuilder('pk', 'c').add(r.bucket, 1).addToSet('ips1', r.slot);
          if (r.mark !== undefined) one.set('j_x', r.mark);
          pending.mergeFrom(one, { newer: true });
          if (view) one.applyTo(view);
          else view = pending.overlay(item);
        }
        const expected = pending.overlay(item);
        expect({ ...view, ips1: [...(view!.ips1 as Set<number>)].sort() }).toEqual({
          ...expected,
          ips1: [...(expected.ips1 as Set<number>)].sort(),
        });
        expect(JSON.stringify({ ...item, ips1: [...item.ips1] })).toBe(frozen);
      }),
    );
  });
});
