import { describe, expect, it } from 'vitest';
import { FleetTraffic, SLOT_SECONDS } from '../../../lambdas/engine/fleet-traffic';

/**
 * The fleet-wide surge detector on one container whose shared item is a plain object (the store's ADD semantics:
 * counts add up, `firstSeen` is set once). Arrivals are evenly spaced so every figure is exact.
 */
class OneContainer {
  readonly traffic = new FleetTraffic(
    () => 5,
    () => 300,
  );
  private readonly shared: Record<string, unknown> = {};

  /** `perSecond` requests from `[t, t + 1)`, `freshShare` of them from clients new to the fleet; first engagement. */
  second(t: number, perSecond: number, freshShare: number): boolean {
    let engaged = false;
    for (let i = 0; i < perSecond; i += 1) {
      const now = t + i / perSecond;
      this.traffic.record(now, i < perSecond * freshShare);
      if (this.traffic.due(now)) {
        this.traffic.takeUpdate('global#traffic', 'c', now).applyTo(this.shared);
        this.traffic.absorb({ ...this.shared }, now);
      }
      engaged ||= this.traffic.evaluate(now).underAttack;
    }
    return engaged;
  }

  /** Seconds from `from` to the first engagement within `until` (undefined: never engaged). */
  run(
    from: number,
    until: number,
    perSecond: (t: number) => number,
    fresh: (t: number) => number,
  ): number | undefined {
    for (let t = from; t < until; t += 1) {
      if (this.second(t, perSecond(t), fresh(t))) return t - from;
    }
    return undefined;
  }
}

// A slot boundary (request times are epoch seconds).
const T0 = 1_800_000_000;

describe('FleetTraffic (distributed surge, fleet-wide)', () => {
  for (const offset of [0, 2, 4, 6, 8]) {
    it(`engages within 3 s of a surge of new clients at 10× the baseline, ${offset} s into a slot`, () => {
      // Prepare: 5 minutes of 10 requests/s from known clients.
      const c = new OneContainer();
      const surgeAt = T0 + 30 * SLOT_SECONDS + offset;
      expect(
        c.run(
          T0,
          surgeAt,
          () => 10,
          () => 0,
        ),
      ).toBeUndefined();

      // Act: 100 requests/s of new clients join.
      const after = c.run(
        surgeAt,
        surgeAt + 30,
        () => 110,
        () => 100 / 110,
      );

      // Assess: a window of 10–20 s (the current and previous slots whole) took up to 8 s here.
      expect(after).toBeDefined();
      expect(after!).toBeLessThanOrEqual(3);
    });
  }

  it('never engages without fleet history, however many new clients arrive', () => {
    const c = new OneContainer();
    expect(
      c.run(
        T0,
        T0 + 120,
        () => 100,
        () => 1,
      ),
    ).toBeUndefined();
  });

  it('does not engage when traffic varies around its baseline, nor when known clients speed up', () => {
    const c = new OneContainer();
    // 10 minutes alternating 5 and 20 requests/s (4× swings), 20 % of them new clients.
    expect(
      c.run(
        T0,
        T0 + 600,
        (t) => (Math.floor(t / 7) % 2 === 0 ? 5 : 20),
        () => 0.2,
      ),
    ).toBeUndefined();
    // Then ten times the rate, all from clients the fleet knows.
    expect(
      c.run(
        T0 + 600,
        T0 + 660,
        () => 125,
        () => 0,
      ),
    ).toBeUndefined();
  });
});
