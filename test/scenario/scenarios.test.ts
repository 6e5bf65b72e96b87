import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../lib/local/scenarios';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { runScenarioOnFreshTable } from '../helpers/scenario-harness';

/**
 * The API-bot scenarios, each through the real REST handler and feedback path against DynamoDB Local, with
 * synthetic times. Thresholds from the issue: stable-identity bots ≥ 95% denied counting from their first request;
 * no human (and no NAT user) denied; the distributed surge engages within 30 s and denies most surge traffic after.
 */
const SEEDS = (process.env.SCENARIO_SEEDS ?? '1').split(',').map(Number);
const byName = (name: string) => SCENARIOS.find((s) => s.name === name)!;

describe('bot scenarios', () => {
  let issuer: TokenIssuer;
  beforeAll(async () => {
    issuer = await startTokenIssuer();
  });
  afterAll(async () => {
    await issuer?.close();
  });

  for (const seed of SEEDS) {
    for (const scenario of SCENARIOS) {
      it(`${scenario.name} (seed ${seed})`, { timeout: 420_000 }, async () => {
        // Act
        const run = await runScenarioOnFreshTable(scenario, seed, issuer);
        // Report (the closing note quotes these lines)
        console.log(
          `[scenario] ${run.scenario} seed=${seed} requests=${run.requests} bot=${run.botRequests} denied=${run.botDeniedPct}% firstDenyAfter=${run.requestsUntilFirstDeny ?? '-'} humanDenied=${run.humanDenied}/${run.humanRequests} wcu/req=${run.writeUnitsPerRequest.toFixed(3)}`,
        );
        // Assess
        expect(run.humanDenied, 'humans denied').toBe(0);
        if (scenario.stableBot) expect(run.botDeniedPct).toBeGreaterThanOrEqual(95);
        if (scenario.name === 'distributed-surge') {
          const surgeStart = Math.min(...run.timeline.filter((p) => p.label === 'bot').map((p) => p.at));
          const firstSurgeDeny = run.timeline.find((p) => p.label === 'bot' && p.denied);
          expect(firstSurgeDeny, 'surge engaged').toBeDefined();
          expect(firstSurgeDeny!.at - surgeStart).toBeLessThanOrEqual(30_000);
          const after = run.timeline.filter((p) => p.label === 'bot' && p.at > firstSurgeDeny!.at);
          expect(after.filter((p) => p.denied).length / after.length).toBeGreaterThan(0.5);
        }
      });
    }
  }

  it('a policy in shadow mode denies nobody but reports the same bots', { timeout: 300_000 }, async () => {
    const run = await runScenarioOnFreshTable(byName('enumeration-scraper'), 1, issuer, {
      ...(await import('../../lib/local/scenarios')).DEMO_POLICY,
      mode: 'shadow',
    });
    expect(run.botDenied + run.humanDenied).toBe(0);
    expect(run.decisions.some((d) => d.band === 'deny' || d.band === 'block')).toBe(true);
  });
});
