import { describe, expect, it } from 'vitest';
import { Fleet, scenarioFleet } from '../../../lib/local/fleet';
import { SCENARIOS } from '../../../lib/local/scenarios';
import { fleetFor } from '../../helpers/scenario-harness';

const byName = (name: string) => SCENARIOS.find((s) => s.name === name)!;
const MINUTE = 60_000;

describe('scenarioFleet', () => {
  it('a scale-out scenario at K = 8 starts on a quarter of the pool, cold, and grows to 8 at its scale-out', () => {
    // Arrange
    const options = scenarioFleet(byName('scale-out-surge'), 8);
    let built = 0;
    const fleet = new Fleet(() => ++built, options);
    const t0 = 1_800_000_000_000;

    // Act: one request before the scale-out, one after it
    fleet.route(t0);
    const before = fleet.stats;
    fleet.route(t0 + 4 * MINUTE + 1);

    // Assess
    expect(options.containers).toBe(2);
    expect(before).toEqual({ started: 2, recycled: 0, size: 2 });
    expect(fleet.stats).toEqual({ started: 8, recycled: 0, size: 8 });
  });

  it('a steady scenario runs on K warm containers; one container never scales out or recycles', () => {
    expect(scenarioFleet(byName('token-sharing'), 8)).toEqual({ containers: 8 });
    expect(scenarioFleet(byName('scale-out-surge'), 1)).toEqual({ containers: 1 });
    expect(scenarioFleet(byName('cold-start-crowd'), 8, 0.5)).toEqual({
      containers: 8,
      recycleEveryMs: MINUTE / 2,
    });
  });

  it('the scenario harness keeps the plan when asked for K containers (K is the full size, not the start)', () => {
    expect(fleetFor(byName('scale-out-surge'), { containers: 8 })).toMatchObject({
      containers: 2,
      scaleOut: [{ containers: 8 }],
    });
    expect(fleetFor(byName('scale-out-surge'), { containers: 8, recycleEveryMs: 5 })).toMatchObject({
      recycleEveryMs: 5,
    });
  });
});
