import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import type { DecisionRecord } from '../../lambdas/engine/engine';
import type { CounterStore } from '../../lambdas/engine/ports';
import { processSubscriptionEvent } from '../../lambdas/log-feedback/feedback';
import { resolvePolicy } from '../../lambdas/policy/policy';
import { createAuthorizerFleet } from '../../lib/local/authorizer-fleet';
import { subscriptionEvent } from '../../lib/local/cloudwatch-logs';
import { type FleetOptions, type FleetStats, scenarioFleet } from '../../lib/local/fleet';
import { MemoryCounterStore } from '../../lib/local/memory-counter-store';
import { DEMO_POLICY, type Scenario } from '../../lib/local/scenarios';
import { runScenario, type ScenarioResult } from '../../lib/local/simulator';
import type { TokenIssuer } from '../../lib/local/token-issuer';
import { createTestTable } from './table';

export interface ScenarioRun extends ScenarioResult {
  /** Write units per request (DynamoDB Local only; NaN on the in-memory store). */
  readonly writeUnitsPerRequest: number;
  readonly decisions: readonly DecisionRecord[];
  readonly fleet: FleetStats;
}

export interface ScenarioRunOptions extends FleetOptions {
  /** @default DEMO_POLICY */
  readonly policy?: unknown;
  /**
   * `memory`: the in-memory store (same UpdateItem semantics; its contract is proven against DynamoDB Local by
   * test/integration/counter-store.contract.test.ts). `dynamodb`: a fresh table on the run's DynamoDB Local.
   * @default 'memory'
   */
  readonly store?: 'memory' | 'dynamodb';
  /** Duration scale of the scenario. @default 1 */
  readonly scale?: number;
}

/**
 * The fleet a scenario runs on (`scenarioFleet`: K containers, or the scenario's scale-out and recycling plan);
 * an explicit `scaleOut` or `recycleEveryMs` wins. `containers` is K, the pool's full size, never its start.
 */
export function fleetFor(scenario: Scenario, options: ScenarioRunOptions): FleetOptions {
  return {
    ...scenarioFleet(scenario, options.containers ?? 1, options.scale ?? 1),
    ...(options.scaleOut ? { scaleOut: options.scaleOut } : {}),
    ...(options.recycleEveryMs !== undefined ? { recycleEveryMs: options.recycleEveryMs } : {}),
  };
}

/**
 * Runs one scenario end to end in-process: the real REST handler (identity layer + risk engine) as a fleet of K
 * containers on one store, and the real feedback path.
 */
export async function runScenarioOnFreshTable(
  scenario: Scenario,
  seed: number,
  issuer: TokenIssuer,
  options: ScenarioRunOptions = {},
): Promise<ScenarioRun> {
  let store: CounterStore;
  let writes = () => Number.NaN;
  if (options.store === 'dynamodb') {
    const table = await createTestTable(`sc-${scenario.name.slice(0, 12)}`);
    const dynamo = new DynamoCounterStore({ tableName: table, client: new DynamoDBClient({}) });
    dynamo.trackCapacity = true;
    writes = () => dynamo.consumed.write;
    store = dynamo;
  } else {
    store = new MemoryCounterStore();
  }
  const decisions: DecisionRecord[] = [];
  const authorizers = createAuthorizerFleet({
    ...fleetFor(scenario, options),
    seed: options.seed ?? seed,
    policy: resolvePolicy(options.policy ?? DEMO_POLICY),
    store,
    env: issuer.env(),
    telemetry: {
      decision: (d) => decisions.push(d),
      storeFailure: () => {},
      blockCreated: () => {},
      underAttack: () => {},
    },
  });
  const result = await runScenario(
    scenario,
    seed,
    {
      rest: (event) => authorizers.rest(event),
      deliverLogs: async (lines) => {
        await processSubscriptionEvent(subscriptionEvent(lines.map((l) => JSON.stringify(l))), store);
      },
      issuer,
    },
    { startMs: Date.now(), scale: options.scale ?? 1 },
  );
  return {
    ...result,
    writeUnitsPerRequest: writes() / Math.max(1, result.requests),
    decisions,
    fleet: authorizers.stats,
  };
}
