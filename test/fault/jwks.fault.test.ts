import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRestHandler } from '../../lambdas/authorizer/handler-factory';
import { restRequestEvent } from '../../lib/local/events';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { captureOutput } from '../fuzz/output-sink';
import { lambdaContext } from '../helpers/fixtures';
import { IDENTITY_ONLY_FAILURES_POLICY, writePolicyFile } from '../helpers/policy-file';
import { createTestTable } from '../helpers/table';

/**
 * JWKS faults against the real loopback issuer: down (503), slow (past the fetch timeout), oversized (past the
 * size cap) and garbage. With keys cached, valid tokens keep passing on the stale keys; with nothing cached the
 * answer is 401 - never an Allow. Each failed fetch writes the `JWKS fetch failed` log line naming the
 * JwksFetchFailure metric. Times are printed as `[fault]` lines; bounds are loose.
 */

const FETCH_TIMEOUT_MS = 300;
const BUDGET_MS = 1500;
let issuer: TokenIssuer;
let env: Record<string, string>;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  env = {
    ...issuer.env(),
    GATEWARDEN_TABLE: await createTestTable('jwks-fault'),
    GATEWARDEN_POLICY: writePolicyFile(IDENTITY_ONLY_FAILURES_POLICY),
    JWKS_FETCH_TIMEOUT_MS: String(FETCH_TIMEOUT_MS),
    JWKS_CACHE_TTL_SECONDS: '60',
    JWKS_REFETCH_COOLDOWN_SECONDS: '1',
  };
});

afterAll(async () => {
  await issuer.close();
});

afterEach(() => {
  Object.assign(issuer.knobs, { down: false, delayMs: 0, garbage: false, oversizedBytes: 0, extraKeys: 0 });
  vi.useRealTimers();
});

type Knob = 'down' | 'slow' | 'oversized' | 'garbage';
const KNOBS: Knob[] = ['down', 'slow', 'oversized', 'garbage'];

function breakJwks(knob: Knob): void {
  if (knob === 'down') issuer.knobs.down = true;
  if (knob === 'slow') issuer.knobs.delayMs = 3_000;
  if (knob === 'oversized') issuer.knobs.oversizedBytes = 200_000;
  if (knob === 'garbage') issuer.knobs.garbage = true;
}

const event = async (atMs: number) => {
  const s = Math.floor(atMs / 1000);
  const token = await issuer.sign({ iat: s - 10, exp: s + 3600 });
  return restRequestEvent({
    method: 'GET',
    path: '/items/1',
    resource: '/items/{id}',
    headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'Mozilla/5.0' },
    sourceIp: '198.51.100.20',
    timeMs: atMs,
  });
};

const verbose = () => new Logger({ serviceName: 'gatewarden-fault', logLevel: 'INFO' });

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; outcome: T | Error }> {
  const started = performance.now();
  let outcome: T | Error;
  try {
    outcome = await run();
  } catch (error) {
    outcome = error as Error;
  }
  return { ms: Math.round(performance.now() - started), outcome };
}

describe('JWKS faults', () => {
  it.each(KNOBS)('%s with keys cached: valid tokens pass on the cached keys', async (knob) => {
    // Prepare: keys loaded, then the cache goes stale (TTL 60 s) so the next request must try a refresh.
    vi.useFakeTimers({ toFake: ['Date'] });
    const handler = createRestHandler({ env, logger: verbose() });
    await handler(await event(Date.now()), lambdaContext());
    vi.setSystemTime(Date.now() + 61_000);
    breakJwks(knob);
    const logs = captureOutput();

    // Act
    const { ms, outcome } = await timed(async () => handler(await event(Date.now()), lambdaContext()));
    logs.restore();

    // Assess
    console.log(
      `[fault] JWKS ${knob}, keys cached: ${ms} ms, ${outcome instanceof Error ? outcome.message : 'Allow'}`,
    );
    expect(outcome).toMatchObject({ principalId: 'user-1' });
    expect(ms).toBeLessThan(BUDGET_MS);
    expect(logs.matching('JWKS fetch failed').join('')).toContain('"metric":"JwksFetchFailure"');
  });

  it.each(KNOBS)('%s with nothing cached: 401, never an Allow', async (knob) => {
    // Prepare
    breakJwks(knob);
    const handler = createRestHandler({ env, logger: verbose() });
    const logs = captureOutput();

    // Act
    const { ms, outcome } = await timed(async () => handler(await event(Date.now()), lambdaContext()));
    logs.restore();

    // Assess
    console.log(
      `[fault] JWKS ${knob}, nothing cached: ${ms} ms, ${outcome instanceof Error ? outcome.message : 'Allow'}`,
    );
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toBe('Unauthorized');
    expect(ms).toBeLessThan(BUDGET_MS);
    expect(logs.matching('JWKS fetch failed').join('')).toContain('"metric":"JwksFetchFailure"');
    expect(logs.matching('"reason":"jwks-unavailable"').length).toBeGreaterThan(0);
  });
});
