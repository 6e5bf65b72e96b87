import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import { createRestHandler } from '../../lambdas/authorizer/handler-factory';
import { type DecisionRecord, RiskEngine } from '../../lambdas/engine/engine';
import { processSubscriptionEvent } from '../../lambdas/log-feedback/feedback';
import { resolvePolicy } from '../../lambdas/policy/policy';
import { subscriptionEvent } from '../../lib/local/cloudwatch-logs';
import { DEMO_POLICY, type Scenario } from '../../lib/local/scenarios';
import { runScenario, type ScenarioResult } from '../../lib/local/simulator';
import type { TokenIssuer } from '../../lib/local/token-issuer';
import { createTestTable } from './table';

const silentLogger = new Logger({ logLevel: 'SILENT' });

export interface ScenarioRun extends ScenarioResult {
  readonly writeUnitsPerRequest: number;
  readonly decisions: readonly DecisionRecord[];
}

/**
 * Runs one scenario end to end in-process: the real REST handler (identity layer + risk engine over a fresh table
 * on DynamoDB Local) and the real feedback path, with capacity tracking for write units per request.
 */
export async function runScenarioOnFreshTable(
  scenario: Scenario,
  seed: number,
  issuer: TokenIssuer,
  policy: unknown = DEMO_POLICY,
): Promise<ScenarioRun> {
  const table = await createTestTable(`sc-${scenario.name.slice(0, 12)}`);
  const store = new DynamoCounterStore({ tableName: table, client: new DynamoDBClient({}) });
  store.trackCapacity = true;
  const decisions: DecisionRecord[] = [];
  const engine = new RiskEngine({
    policy: resolvePolicy(policy),
    store,
    // DynamoDB Local on a shared 2-core machine is slower than the service; the budget is exercised elsewhere.
    storeTimeoutMs: 5000,
    telemetry: {
      decision: (d) => decisions.push(d),
      storeFailure: () => {},
      blockCreated: () => {},
      underAttack: () => {},
    },
  });
  const rest = createRestHandler({
    logger: silentLogger,
    env: { ...issuer.env() },
    createDecider: () => engine,
  });
  const result = await runScenario(
    scenario,
    seed,
    {
      rest: (event) => rest(event as never, {} as never),
      deliverLogs: async (lines) => {
        await processSubscriptionEvent(subscriptionEvent(lines.map((l) => JSON.stringify(l))), store);
      },
      issuer,
    },
    { startMs: Date.now() },
  );
  return { ...result, writeUnitsPerRequest: store.consumed.write / Math.max(1, result.requests), decisions };
}
