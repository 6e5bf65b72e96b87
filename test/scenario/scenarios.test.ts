import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_POLICY, SCENARIOS } from '../../lib/local/scenarios';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { runScenarioOnFreshTable, type ScenarioRun } from '../helpers/scenario-harness';

/**
 * The API-bot scenarios through the real REST handler and feedback path, with synthetic times, on a fleet of K
 * authorizer containers (each its own handler and engine, one store; requests routed at random over the warm ones,
 * scale-outs and recycling as each scenario plans). Every scenario runs at K = 1 and K = 8 on the in-memory store
 * (its UpdateItem contract is proven against DynamoDB Local by counter-store.contract.test.ts); a representative
 * subset runs on DynamoDB Local too.
 *
 * Targets: no human denied at any K (offices, carrier NATs, cold starts, scale-out, recycling); stable-identity bots
 * ≥ 95 % denied counting from their first request, at every K, with the first deny at K = 8 within 2× of K = 1;
 * the distributed surge engages within 30 s of its start and denies most surge traffic after.
 */
const SEEDS = (process.env.SCENARIO_SEEDS ?? '1').split(',').map(Number);
const FLEETS = [1, 8] as const;
const ON_DYNAMODB = new Set(['credential-stuffing', 'token-sharing', 'enumeration-scraper']);
const firstDeny = new Map<string, number | undefined>();

function report(run: ScenarioRun, seed: number, k: number, store: string): void {
  // The closing note and the README quote these lines.
  console.log(
    `[scenario] ${run.scenario} K=${k} store=${store} seed=${seed} requests=${run.requests} bot=${run.botRequests} denied=${run.botDeniedPct}% firstDenyAfter=${run.requestsUntilFirstDeny ?? '-'} humanDenied=${run.humanDenied}/${run.humanRequests} containers=${run.fleet.started} recycled=${run.fleet.recycled}${Number.isNaN(run.writeUnitsPerRequest) ? '' : ` wcu/req=${run.writeUnitsPerRequest.toFixed(3)}`}`,
  );
}

function assessSurge(run: ScenarioRun): void {
  const bots = run.timeline.filter((p) => p.label === 'bot');
  const surgeStart = Math.min(...bots.map((p) => p.at));
  const first = bots.find((p) => p.denied);
  expect(first, 'surge engaged').toBeDefined();
  expect(first!.at - surgeStart).toBeLessThanOrEqual(30_000);
  const after = bots.filter((p) => p.at > first!.at);
  expect(after.filter((p) => p.denied).length / after.length).toBeGreaterThan(0.5);
}

describe('bot scenarios on a fleet', () => {
  let issuer: TokenIssuer;
  beforeAll(async () => {
    issuer = await startTokenIssuer();
  });
  afterAll(async () => {
    await issuer?.close();
  });

  for (const seed of SEEDS) {
    for (const scenario of SCENARIOS) {
      for (const k of FLEETS) {
        it(`${scenario.name} (seed ${seed}, K=${k})`, async () => {
          // Act
          const run = await runScenarioOnFreshTable(scenario, seed, issuer, { containers: k });
          report(run, seed, k, 'memory');
          // Assess
          expect(run.humanDenied, 'humans denied').toBe(0);
          if (scenario.stableBot) {
            expect(run.botDeniedPct, 'bot requests denied (%)').toBeGreaterThanOrEqual(95);
            if (k === 1) firstDeny.set(`${scenario.name}|${seed}`, run.requestsUntilFirstDeny);
            const single = firstDeny.get(`${scenario.name}|${seed}`);
            if (k > 1 && single !== undefined) {
              expect(run.requestsUntilFirstDeny ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(
                Math.max(2 * single, single + 5),
              );
            }
          }
          if (scenario.name === 'distributed-surge' || scenario.name === 'scale-out-surge') assessSurge(run);
        });
      }
    }
  }

  for (const scenario of SCENARIOS.filter((s) => ON_DYNAMODB.has(s.name))) {
    it(`${scenario.name} on DynamoDB Local (K=8)`, async () => {
      const run = await runScenarioOnFreshTable(scenario, 1, issuer, { containers: 8, store: 'dynamodb' });
      report(run, 1, 8, 'dynamodb');
      expect(run.humanDenied, 'humans denied').toBe(0);
      if (scenario.stableBot) expect(run.botDeniedPct).toBeGreaterThanOrEqual(95);
      if (scenario.name === 'distributed-surge') assessSurge(run);
      // The write budget holds with the fleet-wide state (the bench measures it on ordinary traffic).
      expect(run.writeUnitsPerRequest).toBeLessThan(1.5);
      // Thousands of real round trips to one JVM: 40–80 s on an idle 2-core machine, over 120 s beside other work.
      // The test judges detection, never speed, so a slow machine must not fail it.
    }, 600_000);
  }

  it('a policy in shadow mode denies nobody but reports the same bots', async () => {
    const run = await runScenarioOnFreshTable(
      SCENARIOS.find((s) => s.name === 'enumeration-scraper')!,
      1,
      issuer,
      {
        policy: { ...DEMO_POLICY, mode: 'shadow' },
        containers: 8,
      },
    );
    expect(run.botDenied + run.humanDenied).toBe(0);
    expect(run.decisions.some((d) => d.band === 'deny' || d.band === 'block')).toBe(true);
  });
});
