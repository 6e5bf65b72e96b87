import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import { subscriptionEvent } from '../../lib/local/cloudwatch-logs';
import { DEMO_POLICY, SCENARIOS } from '../../lib/local/scenarios';
import { runScenario } from '../../lib/local/simulator';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { captureOutput } from '../fuzz/output-sink';
import { lambdaContext } from '../helpers/fixtures';
import { createTestTable } from '../helpers/table';

/**
 * Log hygiene: full scenario runs through the real REST handler, the real risk engine (Powertools telemetry: one
 * decision line per request at DEBUG, EMF metrics) on DynamoDB Local and the real feedback Lambda, all logging at
 * DEBUG (every line any level writes) through the shared Powertools logger. Every write to stdout/stderr is captured; no raw token, token signature, Authorization
 * value or cookie value may appear in any of them.
 */

let issuer: TokenIssuer;

beforeAll(async () => {
  issuer = await startTokenIssuer();
});

afterAll(async () => {
  await issuer.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('log hygiene', () => {
  // token-forgery: valid tokens, forged tokens (a new one per request) and failures; about 1,200 requests.
  it.each(['token-forgery'])(
    '%s: no token, Authorization value or cookie in any log line',
    { timeout: 120_000 },
    async (name) => {
      // Prepare: modules imported afresh so the shared logger logs at DEBUG (the suite default is SILENT).
      vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
      vi.resetModules();
      const { createRestHandler } = await import('../../lambdas/authorizer/handler-factory');
      const { RiskEngine } = await import('../../lambdas/engine/engine');
      const { resolvePolicy } = await import('../../lambdas/policy/policy');
      const { PowertoolsTelemetry } = await import('../../lambdas/shared/observability');
      const feedback = await import('../../lambdas/log-feedback/handler');
      const scenario = SCENARIOS.find((s) => s.name === name)!;
      const table = await createTestTable('hygiene');
      const store = new DynamoCounterStore({ tableName: table, client: new DynamoDBClient({}) });
      feedback.setFeedbackStore(store);
      const engine = new RiskEngine({
        policy: resolvePolicy(DEMO_POLICY),
        store,
        storeTimeoutMs: 5000,
        telemetry: new PowertoolsTelemetry(),
      });
      const rest = createRestHandler({ env: issuer.env(), createDecider: () => engine });
      const secrets = new Set<string>();
      const logs = captureOutput({ keep: 100_000 });

      // Act
      let requests = 0;
      try {
        await runScenario(
          scenario,
          7,
          {
            rest: async (event) => {
              const e = event as {
                headers: Record<string, string>;
                multiValueHeaders: Record<string, string[]>;
              };
              const authorization = e.headers.Authorization;
              if (authorization) {
                const raw = authorization.replace(/^Bearer /, '');
                secrets
                  .add(authorization)
                  .add(raw)
                  .add(raw.split('.')[2] ?? raw);
                logs.watch('Authorization', authorization);
                logs.watch('token', raw);
                logs.watch('signature', raw.split('.')[2] ?? raw);
              }
              const cookie = `session=${randomBytes(12).toString('hex')}`;
              e.headers.Cookie = cookie;
              e.multiValueHeaders.Cookie = [cookie];
              logs.watch('cookie', cookie.slice('session='.length));
              requests += 1;
              return rest(event, lambdaContext());
            },
            deliverLogs: async (lines) => {
              await feedback.handler(subscriptionEvent(lines.map((l) => JSON.stringify(l))), lambdaContext());
            },
            issuer,
          },
          { startMs: Date.now() },
        );
      } finally {
        logs.restore();
      }

      // Assess
      console.log(
        `[fault] log hygiene ${name}: ${requests} requests, ${logs.writes} log lines, ${secrets.size} secrets watched`,
      );
      expect(logs.writes).toBeGreaterThanOrEqual(requests);
      expect(logs.matching('"decision"').length).toBeGreaterThan(0);
      expect(logs.leaks).toEqual([]);
    },
  );
});
