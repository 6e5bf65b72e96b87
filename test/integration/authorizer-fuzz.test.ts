import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseHttpEvent, normaliseRestEvent } from '../../lambdas/authorizer/events';
import { createHttpHandler, createRestHandler } from '../../lambdas/authorizer/handler-factory';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import {
  type FixtureEvent,
  type FixtureName,
  lambdaContext,
  loadFixture,
  withAuthorization,
} from '../helpers/fixtures';
import { IDENTITY_ONLY_FAILURES_POLICY, writePolicyFile } from '../helpers/policy-file';
import { createTestTable } from '../helpers/table';

/**
 * Property: on arbitrary JSON events (and on fixture events with arbitrary fields replaced), normalisation never
 * throws and the handlers either answer well-formed or throw exactly `Unauthorized` (never a 500).
 */

let issuer: TokenIssuer;
let validToken: string;
let rest: ReturnType<typeof createRestHandler>;
let http: ReturnType<typeof createHttpHandler>;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  validToken = await issuer.sign({ exp: Math.floor(Date.now() / 1000) + 3600 });
  // The real engine behind identity, on its own table in DynamoDB Local.
  const env = {
    ...issuer.env(),
    GATEWARDEN_TABLE: await createTestTable('authz'),
    // Identity suites are not about the store's budget (test/fault is); a loaded machine must not flip them.
    GATEWARDEN_STORE_TIMEOUT_MS: '5000',
    GATEWARDEN_POLICY: writePolicyFile(IDENTITY_ONLY_FAILURES_POLICY),
  };
  rest = createRestHandler({ env });
  http = createHttpHandler({ env });
});

afterAll(async () => {
  await issuer.close();
});

const FIXTURES: FixtureName[] = [
  'powertools-rest-request-authorizer',
  'powertools-rest-token-authorizer',
  'powertools-httpapi-v2-request-authorizer',
  'awsdocs-rest-request-authorizer-mtls',
  'awsdocs-httpapi-v2-authorizer-payload-2.0-mtls',
];

const KEYS = [
  'type',
  'version',
  'methodArn',
  'routeArn',
  'routeKey',
  'authorizationToken',
  'headers',
  'multiValueHeaders',
  'queryStringParameters',
  'multiValueQueryStringParameters',
  'pathParameters',
  'cookies',
  'requestContext',
  '__proto__',
  'constructor',
];
const CONTEXT_KEYS = ['identity', 'http', 'authentication', 'requestTimeEpoch', 'timeEpoch', 'requestId'];

/** A fixture with a valid token, then some top-level or requestContext fields replaced by arbitrary JSON. */
const mutatedFixture = fc
  .record({
    name: fc.constantFrom(...FIXTURES),
    withToken: fc.boolean(),
    top: fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.jsonValue({ maxDepth: 3 })), { maxLength: 3 }),
    nested: fc.array(fc.tuple(fc.constantFrom(...CONTEXT_KEYS), fc.jsonValue({ maxDepth: 3 })), {
      maxLength: 3,
    }),
    headers: fc.dictionary(
      fc.string({ maxLength: 20 }),
      fc.oneof(fc.string({ maxLength: 60 }), fc.jsonValue({ maxDepth: 1 })),
    ),
  })
  .map(({ name, withToken, top, nested, headers }) => {
    const event: FixtureEvent = loadFixture(name);
    if (withToken) withAuthorization(event, `Bearer ${validToken}`);
    if (event.headers && typeof event.headers === 'object') Object.assign(event.headers, headers);
    for (const [key, value] of top)
      Object.defineProperty(event, key, { value, enumerable: true, writable: true, configurable: true });
    if (event.requestContext && typeof event.requestContext === 'object') {
      for (const [key, value] of nested) event.requestContext[key] = value;
    }
    // Round-trip: what Lambda hands the function is parsed JSON.
    return JSON.parse(JSON.stringify(event)) as unknown;
  });

const anyEvent = fc.oneof(fc.jsonValue({ maxDepth: 4 }), mutatedFixture);

async function onlyUnauthorizedEscapes(run: () => Promise<unknown>): Promise<void> {
  try {
    const result = await run();
    expect(typeof result).toBe('object');
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Unauthorized');
  }
}

describe('authorizer fuzzing', () => {
  it('normalisation never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(anyEvent, fc.nat({ max: 3 }), (event, trustedProxyCount) => {
        normaliseRestEvent(event, { trustedProxyCount });
        normaliseHttpEvent(event, { trustedProxyCount });
      }),
      { numRuns: 500 },
    );
  });

  it('the REST handler throws nothing but Unauthorized', async () => {
    await fc.assert(
      fc.asyncProperty(anyEvent, (event) => onlyUnauthorizedEscapes(() => rest(event, lambdaContext()))),
      { numRuns: 300 },
    );
  });

  it('the HTTP API handler throws nothing but Unauthorized', async () => {
    await fc.assert(
      fc.asyncProperty(anyEvent, (event) => onlyUnauthorizedEscapes(() => http(event, lambdaContext()))),
      { numRuns: 300 },
    );
  });

  it('survives a garbage Lambda context too', async () => {
    await fc.assert(
      fc.asyncProperty(anyEvent, fc.jsonValue({ maxDepth: 2 }), (event, context) =>
        onlyUnauthorizedEscapes(() => rest(event, context as never)),
      ),
      { numRuns: 100 },
    );
  });
});
