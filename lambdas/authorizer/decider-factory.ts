import type { Logger } from '@aws-lambda-powertools/logger';
import { createRequestPathClient, DynamoCounterStore } from '../adapters/dynamo-counter-store';
import { readEngineConfig } from '../engine/config';
import { RiskEngine } from '../engine/engine';
import { PowertoolsTelemetry } from '../shared/observability';
import type { Decider } from './types';

/**
 * The decider for REQUEST (REST) and HTTP API events, built once per container: the risk engine over the
 * DynamoDB table named by GATEWARDEN_TABLE, with the policy from GATEWARDEN_POLICY (and GATEWARDEN_MODE); with
 * GATEWARDEN_REGIONS, counter items are this Region's own and reads merge every Region's.
 * TOKEN events never come here: see `core.ts`.
 * @throws {EngineConfigError | PolicyError} on a bad environment or policy (the handler answers 401 and logs why).
 */
export function createDecider(env: NodeJS.ProcessEnv = process.env, logger?: Logger): Decider {
  const config = readEngineConfig(env);
  return new RiskEngine({
    policy: config.policy,
    // Two attempts share the budget: each call gets a little under half of it.
    store: new DynamoCounterStore({
      tableName: config.tableName,
      client: createRequestPathClient(Math.max(25, Math.floor(config.storeTimeoutMs * 0.43))),
      ...(config.regions ? { regions: config.regions } : {}),
    }),
    storeTimeoutMs: config.storeTimeoutMs,
    telemetry: new PowertoolsTelemetry(logger),
  });
}
