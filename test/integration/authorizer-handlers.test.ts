import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createHttpHandler,
  createRestHandler,
  type HandlerOptions,
} from '../../lambdas/authorizer/handler-factory';
import { IdentityOnlyDecider } from '../../lambdas/authorizer/identity-only-decider';
import type { AuthorizerRequest } from '../../lambdas/authorizer/types';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import {
  at,
  eventSeconds,
  type FixtureEvent,
  lambdaContext,
  loadFixture,
  withAuthorization,
} from '../helpers/fixtures';
import { createTestTable } from '../helpers/table';

let issuer: TokenIssuer;
let table: string;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  // REQUEST and HTTP events go through the real risk engine, on its own table in DynamoDB Local.
  table = await createTestTable('handlers');
});

afterAll(async () => {
  await issuer.close();
});

beforeEach(() => {
  Object.assign(issuer.knobs, { down: false, delayMs: 0, garbage: false, oversizedBytes: 0, extraKeys: 0 });
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  vi.resetModules();
});

const envFor = (extra: Record<string, string> = {}) => ({
  ...issuer.env(),
  GATEWARDEN_TABLE: table,
  // These tests are about identity; the store's budget is tested in test/fault (a loaded machine must not flip them).
  GATEWARDEN_STORE_TIMEOUT_MS: '5000',
  ...extra,
});

const restEvent = (authorization?: string): FixtureEvent =>
  at(withAuthorization(loadFixture('powertools-rest-request-authorizer'), authorization));
const httpEvent = (authorization?: string): FixtureEvent =>
  at(withAuthorization(loadFixture('powertools-httpapi-v2-request-authorizer'), authorization));
const tokenEvent = (authorization?: string): FixtureEvent =>
  withAuthorization(loadFixture('powertools-rest-token-authorizer'), authorization);

/** Captures what Powertools writes (it logs through a Console bound to process.stdout / stderr). */
function captureLogs(): { text: () => string } {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
  return { text: () => chunks.join('') };
}

const verboseLogger = () => new Logger({ serviceName: 'gatewarden-authorizer-test', logLevel: 'INFO' });

describe('authorizer handlers: valid tokens from the fixture events', () => {
  it('REST REQUEST: allows with an IAM policy for the exact methodArn and the contract context', async () => {
    // Prepare
    const handler = createRestHandler({ env: envFor() });
    const token = await issuer.sign({ sub: 'alice', scope: 'orders:read' });
    const event = restEvent(`Bearer ${token}`);

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({
      principalId: 'alice',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      context: {
        sub: 'alice',
        scope: 'orders:read',
        tokenHash: expect.stringMatching(/^[0-9a-f]{16}$/),
        decisionId: expect.any(String),
        // Risk fields from the engine (a first, quiet request).
        riskScore: 0,
        riskBand: 'allow',
        riskSignals: '',
      },
    });
  });

  it('REST TOKEN: allows on identity alone', async () => {
    // Prepare
    const handler = createRestHandler({ env: envFor() });
    const token = await issuer.sign({}, { kid: 'es-1' });

    // Act
    const result = await handler(tokenEvent(`Bearer ${token}`), lambdaContext());

    // Assess
    expect(result.principalId).toBe('user-1');
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
  });

  it('HTTP API 2.0: allows with a simple response', async () => {
    // Prepare
    const handler = createHttpHandler({ env: envFor() });
    const token = await issuer.sign({ sub: 'bob' });

    // Act
    const result = await handler(httpEvent(`Bearer ${token}`), lambdaContext());

    // Assess
    expect(result).toEqual({
      isAuthorized: true,
      context: {
        sub: 'bob',
        scope: 'read',
        tokenHash: expect.any(String),
        decisionId: expect.any(String),
        riskScore: 0,
        riskBand: 'allow',
        riskSignals: '',
      },
    });
  });

  it("judges the token at the event's own request time, not the clock", async () => {
    // Prepare: the fixture is from June 2024; a token valid then is expired now, and vice versa.
    const handler = createRestHandler({ env: envFor() });
    const original = withAuthorization(loadFixture('powertools-rest-request-authorizer'), undefined);
    const thenToken = await issuer.sign({}, { at: eventSeconds(original) });
    const nowToken = await issuer.sign();

    // Act
    const then = await handler(
      withAuthorization(structuredClone(original), `Bearer ${thenToken}`),
      lambdaContext(),
    );
    const now = handler(withAuthorization(structuredClone(original), `Bearer ${nowToken}`), lambdaContext());

    // Assess
    expect(then.principalId).toBe('user-1');
    await expect(now).rejects.toThrowError(/^Unauthorized$/);
  });

  it('the module entry points export working handlers configured from the environment', async () => {
    // Prepare
    for (const [name, value] of Object.entries(envFor())) vi.stubEnv(name, value);
    const { handler: rest } = await import('../../lambdas/authorizer/rest');
    const { handler: http } = await import('../../lambdas/authorizer/http');
    const token = await issuer.sign();

    // Act
    const restResult = await rest(restEvent(`Bearer ${token}`), lambdaContext());
    const httpResult = await http(httpEvent(`Bearer ${token}`), lambdaContext());

    // Assess
    expect(restResult.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(httpResult.isAuthorized).toBe(true);
  });
});

describe('authorizer handlers: 401 cases', () => {
  it.each([
    ['no Authorization at all (anonymous, identity-only decider)', undefined],
    ['Authorization: Basic', 'Basic dXNlcjpwYXNz'],
    ['another scheme', 'Token abc'],
    ['an empty bearer', 'Bearer '],
    ['a garbage bearer', 'Bearer not-a-jwt'],
  ])('throws Unauthorized for %s', async (_label, authorization) => {
    // Prepare
    const rest = createRestHandler({ env: envFor() });
    const http = createHttpHandler({ env: envFor() });

    // Act & Assess
    await expect(rest(restEvent(authorization), lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
    await expect(http(httpEvent(authorization), lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
    await expect(rest(tokenEvent(authorization), lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
  });

  it('refuses credentials in the query string even beside a valid token; the list is configurable', async () => {
    // Prepare
    const token = await issuer.sign();
    const rest = createRestHandler({ env: envFor() });
    const relaxed = createRestHandler({ env: envFor({ PRIMITIVE_AUTH_QUERY_PARAMS: 'password' }) });
    const withQuery = (query: Record<string, string>) => {
      const event = restEvent(`Bearer ${token}`);
      event.queryStringParameters = query;
      event.multiValueQueryStringParameters = Object.fromEntries(
        Object.entries(query).map(([k, v]) => [k, [v]]),
      );
      return event;
    };

    // Act & Assess
    await expect(rest(withQuery({ api_key: 'k' }), lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
    await expect(rest(withQuery({ access_token: token }), lambdaContext())).rejects.toThrowError(
      /^Unauthorized$/,
    );
    await expect(
      relaxed(withQuery({ api_key: 'k', next_token: 'p' }), lambdaContext()),
    ).resolves.toMatchObject({
      principalId: 'user-1',
    });
  });

  it('checks the mTLS fixture certificate: expired -> 401; valid and allow-listed -> allow', async () => {
    // Prepare
    const token = await issuer.sign();
    const rest = createRestHandler({ env: envFor({ MTLS_ALLOWED_SUBJECTS: 'www.example.com' }) });
    const expired = withAuthorization(loadFixture('awsdocs-rest-request-authorizer-mtls'), `Bearer ${token}`);
    const valid = withAuthorization(loadFixture('awsdocs-rest-request-authorizer-mtls'), `Bearer ${token}`);
    valid.requestContext.identity.clientCert.validity.notAfter = 'Aug  5 09:36:04 2099 GMT';
    const wrongSubject = structuredClone(valid);
    wrongSubject.requestContext.identity.clientCert.subjectDN = 'attacker.example';
    const noCert = restEvent(`Bearer ${token}`);

    // Act & Assess
    await expect(rest(expired, lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
    await expect(rest(valid, lambdaContext())).resolves.toMatchObject({ principalId: 'user-1' });
    await expect(rest(wrongSubject, lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
    await expect(rest(noCert, lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
  });

  it('fails closed with 401 (not 500) and one clear log line per call when misconfigured', async () => {
    // Prepare
    const logs = captureLogs();
    const rest = createRestHandler({
      env: { JWKS_URI: 'http://issuer.gatewarden.test/jwks' },
      logger: verboseLogger(),
    });
    const http = createHttpHandler({ env: {}, logger: verboseLogger() });
    const token = await issuer.sign();

    // Act & Assess
    await expect(rest(restEvent(`Bearer ${token}`), lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
    await expect(rest(restEvent(`Bearer ${token}`), lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
    await expect(http(httpEvent(`Bearer ${token}`), lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
    const text = logs.text();
    expect(text).toContain('authorizer misconfigured');
    expect(text).toContain('JWT_ISSUER is required');
    expect(text).toContain('JWKS_URI must use https');
    expect(text).not.toContain(token);
  });

  it("on a global table (GATEWARDEN_REGIONS), counts into its own Region's copy of the client item", async () => {
    // Prepare
    const handler = createRestHandler({
      env: envFor({ GATEWARDEN_REGIONS: 'us-east-1,eu-west-1', AWS_REGION: 'eu-west-1' }),
    });
    const token = await issuer.sign({ sub: 'regional-alice' });
    const client = new DynamoDBClient({});
    const item = (pk: string) =>
      client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: 'counter' } } }));

    // Act
    const result = await handler(restEvent(`Bearer ${token}`), lambdaContext());

    // Assess
    expect(result.principalId).toBe('regional-alice');
    // A client new to the fleet is written off the request's path: wait for that write, then look where it went.
    await vi.waitFor(async () => expect((await item('sub#regional-alice@eu-west-1')).Item).toBeDefined(), {
      timeout: 10_000,
      interval: 20,
    });
    expect((await item('sub#regional-alice')).Item).toBeUndefined();
  });

  it('refuses with 401 and names GATEWARDEN_REGIONS when the list leaves out its own Region', async () => {
    // Prepare
    const logs = captureLogs();
    const rest = createRestHandler({
      env: envFor({ GATEWARDEN_REGIONS: 'us-east-1,us-west-2', AWS_REGION: 'eu-west-1' }),
      logger: verboseLogger(),
    });
    const token = await issuer.sign();

    // Act & Assess
    await expect(rest(restEvent(`Bearer ${token}`), lambdaContext())).rejects.toThrowError(/^Unauthorized$/);
    expect(logs.text()).toContain(
      'GATEWARDEN_REGIONS (us-east-1,us-west-2) must include this Region (eu-west-1)',
    );
  });

  it('logs the reason, subject and token hash, never the raw token, Authorization or cookies', async () => {
    // Prepare
    const logs = captureLogs();
    const rest = createRestHandler({ env: envFor(), logger: verboseLogger() });
    const good = await issuer.sign({ sub: 'carol' });
    const bad = await issuer.sign({ exp: Math.floor(Date.now() / 1000) - 3600 });
    const event = (token: string) => {
      const e = restEvent(`Bearer ${token}`);
      e.headers.Cookie = 'session=cookie-secret-value';
      return e;
    };

    // Act
    await rest(event(good), lambdaContext());
    await rest(event(bad), lambdaContext()).catch(() => undefined);

    // Assess
    const text = logs.text();
    expect(text).toContain('"subject":"carol"');
    expect(text).toContain('"reason":"expired"');
    for (const secret of [good, bad, good.split('.')[2]!, 'cookie-secret-value', 'Bearer']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('authorizer handlers: client IP', () => {
  it('never trusts a forged X-Forwarded-For (TRUSTED_PROXY_COUNT semantics)', async () => {
    // Prepare
    const seen: AuthorizerRequest[] = [];
    const capture: HandlerOptions['createDecider'] = () => ({
      decide: (request, auth) => {
        seen.push(request);
        return new IdentityOnlyDecider().decide(request, auth);
      },
    });
    const token = await issuer.sign();
    const forged = (event: FixtureEvent) => {
      for (const map of [event.headers, event.multiValueHeaders]) {
        if (!map) continue;
        for (const name of Object.keys(map)) if (name.toLowerCase() === 'x-forwarded-for') delete map[name];
      }
      event.headers['X-Forwarded-For'] = '10.0.0.1, 127.0.0.1, 203.0.113.7';
      return event;
    };
    const direct = createRestHandler({ env: envFor(), createDecider: capture });
    const behindOne = createHttpHandler({
      env: envFor({ TRUSTED_PROXY_COUNT: '1' }),
      createDecider: capture,
    });

    // Act
    await direct(forged(restEvent(`Bearer ${token}`)), lambdaContext());
    await behindOne(forged(httpEvent(`Bearer ${token}`)), lambdaContext());

    // Assess
    expect(seen.map((request) => request.clientIp)).toEqual(['15.248.3.126', '203.0.113.7']);
  });
});
