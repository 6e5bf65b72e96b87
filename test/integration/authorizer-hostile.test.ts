import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpHandler, createRestHandler } from '../../lambdas/authorizer/handler-factory';
import { type IssuerKey, startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { at, type FixtureEvent, lambdaContext, loadFixture, withAuthorization } from '../helpers/fixtures';
import { IDENTITY_ONLY_FAILURES_POLICY, writePolicyFile } from '../helpers/policy-file';
import { createTestTable } from '../helpers/table';

/**
 * The hostile-token suite, end to end: every case goes through the REST handler (REQUEST and TOKEN events)
 * and the HTTP API handler built from the fixture events, and must end as exactly `Unauthorized` (401).
 * Reasons are asserted at the verifier level in test/unit/identity/jwt-verifier.test.ts.
 */

let issuer: TokenIssuer;
let attacker: IssuerKey;
let weak: IssuerKey;
let baseEnv: Record<string, string>;
let rest: ReturnType<typeof createRestHandler>;
let http: ReturnType<typeof createHttpHandler>;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  attacker = await issuer.addKey({ kid: 'attacker', alg: 'RS256', published: false });
  weak = await issuer.addKey({ kid: 'weak-1024', alg: 'RS256', modulusLength: 1024 });
  // One container per handler for the whole table, as in Lambda: the JWKS cache is shared across cases.
  // The real engine behind identity, on its own table in DynamoDB Local.
  baseEnv = {
    ...issuer.env(),
    GATEWARDEN_TABLE: await createTestTable('authz'),
    // Identity suites are not about the store's budget (test/fault is); a loaded machine must not flip them.
    GATEWARDEN_STORE_TIMEOUT_MS: '5000',
    GATEWARDEN_POLICY: writePolicyFile(IDENTITY_ONLY_FAILURES_POLICY),
  };
  rest = createRestHandler({ env: baseEnv });
  http = createHttpHandler({ env: baseEnv });
});

afterAll(async () => {
  await issuer.close();
});

beforeEach(() => {
  Object.assign(issuer.knobs, { down: false, delayMs: 0, garbage: false, oversizedBytes: 0, extraKeys: 0 });
});

const s = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: issuer.issuer,
  aud: issuer.audience,
  sub: 'user-1',
  iat: s(),
  exp: s() + 300,
  ...extra,
});
const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const rs = () => issuer.key('rs-1');

type Case = [string, () => Promise<string> | string];

const cases: Case[] = [
  ['alg none', () => `${b64({ alg: 'none' })}.${b64(claims())}.`],
  ['alg None', () => `${b64({ alg: 'None' })}.${b64(claims())}.`],
  ['alg NONE', () => `${b64({ alg: 'NONE' })}.${b64(claims())}.`],
  ['alg nOnE', () => `${b64({ alg: 'nOnE' })}.${b64(claims())}.`],
  ['alg none with a signature', () => issuer.signRaw({ alg: 'none', kid: 'rs-1' }, claims(), rs())],
  [
    'HS256 keyed with the RSA public key',
    () => issuer.signRaw({ alg: 'HS256', kid: 'rs-1' }, claims(), new TextEncoder().encode(rs().publicPem)),
  ],
  ['embedded jwk', () => issuer.signRaw({ alg: 'RS256', jwk: attacker.publicJwk }, claims(), attacker)],
  [
    'jku',
    () =>
      issuer.signRaw({ alg: 'RS256', kid: 'attacker', jku: 'https://evil.example/jwks' }, claims(), attacker),
  ],
  [
    'x5u',
    () =>
      issuer.signRaw(
        { alg: 'RS256', kid: 'attacker', x5u: 'https://evil.example/c.pem' },
        claims(),
        attacker,
      ),
  ],
  [
    'kid path traversal',
    () => issuer.signRaw({ alg: 'RS256', kid: '../../../../dev/null' }, claims(), attacker),
  ],
  ['kid SQL injection', () => issuer.signRaw({ alg: 'RS256', kid: "' OR '1'='1" }, claims(), attacker)],
  ['kid __proto__', () => issuer.signRaw({ alg: 'RS256', kid: '__proto__' }, claims(), rs())],
  ['expired', () => issuer.sign({ iat: s() - 3600, exp: s() - 600 })],
  ['no exp', () => issuer.sign({ exp: undefined })],
  ['future nbf', () => issuer.sign({ nbf: s() + 3600 })],
  ['future iat', () => issuer.sign({ iat: s() + 3600, exp: s() + 7200 })],
  ['wrong iss', () => issuer.sign({ iss: 'https://evil.example' })],
  ['wrong aud', () => issuer.sign({ aud: 'another-api' })],
  [
    'unknown crit',
    () => issuer.signRaw({ alg: 'RS256', kid: 'rs-1', crit: ['urn:x'], 'urn:x': 1 }, claims(), rs()),
  ],
  [
    'b64 false',
    () => issuer.signRaw({ alg: 'RS256', kid: 'rs-1', b64: false, crit: ['b64'] }, claims(), rs()),
  ],
  ['empty ECDSA signature', async () => (await issuer.sign({}, { kid: 'es-1' })).replace(/[^.]+$/, '')],
  [
    'invalid ECDSA signature',
    async () => (await issuer.sign({}, { kid: 'es-1' })).replace(/[^.]+$/, b64(Buffer.alloc(64, 5))),
  ],
  [
    'zero ECDSA signature (r = s = 0)',
    async () => (await issuer.sign({}, { kid: 'es-1' })).replace(/[^.]+$/, b64(Buffer.alloc(64))),
  ],
  [
    'duplicate claims',
    () =>
      issuer.signRaw(
        { alg: 'RS256', kid: 'rs-1' },
        `${JSON.stringify(claims()).slice(0, -1)},"sub":"admin"}`,
        rs(),
      ),
  ],
  ['padding', async () => `${await issuer.sign()}=`],
  ['non-base64url characters', async () => (await issuer.sign()).replace(/.$/, '+')],
  ['oversized token', () => issuer.sign({ filler: 'x'.repeat(10_000) })],
  ['weak RSA key (1024-bit)', () => issuer.sign({}, { kid: weak.kid })],
  [
    'signature by an unpublished key',
    () => issuer.signRaw({ alg: 'RS256', kid: 'rs-1' }, claims(), attacker),
  ],
];

const contexts = lambdaContext();

const restEvent = (token: string): FixtureEvent =>
  at(withAuthorization(loadFixture('powertools-rest-request-authorizer'), `Bearer ${token}`));
const httpEvent = (token: string): FixtureEvent =>
  at(withAuthorization(loadFixture('powertools-httpapi-v2-request-authorizer'), `Bearer ${token}`));
const tokenEvent = (token: string): FixtureEvent =>
  withAuthorization(loadFixture('powertools-rest-token-authorizer'), `Bearer ${token}`);

describe('hostile tokens through both handlers', () => {
  it('a valid token passes all three event types (control case)', async () => {
    // Prepare
    const token = await issuer.sign();

    // Act
    const results = [
      await rest(restEvent(token), contexts),
      await rest(tokenEvent(token), contexts),
      await http(httpEvent(token), contexts),
    ];

    // Assess
    expect(
      results.map((result) => ('isAuthorized' in result ? result.isAuthorized : result.principalId)),
    ).toEqual(['user-1', 'user-1', true]);
  });

  it.each(cases)('%s -> 401 on REST REQUEST, REST TOKEN and HTTP API', async (_label, make) => {
    // Prepare
    const token = await make();

    // Act
    const outcomes = [
      rest(restEvent(token), contexts),
      rest(tokenEvent(token), contexts),
      http(httpEvent(token), contexts),
    ];

    // Assess
    await Promise.all(outcomes.map((outcome) => expect(outcome).rejects.toThrowError(/^Unauthorized$/)));
  });
});

describe('JWKS under attack and outage, through the handlers', () => {
  it('an unknown-kid flood costs at most one JWKS fetch per cooldown', async () => {
    // Prepare
    const env = { ...baseEnv, JWKS_REFETCH_COOLDOWN_SECONDS: '60' };
    const handler = createHttpHandler({ env });
    await handler(httpEvent(await issuer.sign()), contexts);
    const before = issuer.fetchCount;
    const flood = Array.from({ length: 100 }, (_, i) =>
      issuer.signRaw({ alg: 'RS256', kid: `flood-${i}` }, claims(), attacker),
    );

    // Act
    const outcomes = await Promise.allSettled(flood.map((token) => handler(httpEvent(token), contexts)));

    // Assess
    expect(
      outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'Unauthorized'),
    ).toBe(true);
    expect(issuer.fetchCount - before).toBeLessThanOrEqual(1);
  });

  it('JWKS down with no cached keys: 401, and the next requests do not hammer the endpoint', async () => {
    // Prepare
    issuer.knobs.down = true;
    const handler = createRestHandler({ env: baseEnv });
    const token = await issuer.sign();
    const before = issuer.fetchCount;

    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => handler(restEvent(token), contexts)),
    );

    // Assess
    expect(
      outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'Unauthorized'),
    ).toBe(true);
    expect(issuer.fetchCount - before).toBe(1);
  });

  it('JWKS down, slow, oversized or garbage after keys were cached: valid tokens still pass', async () => {
    // Prepare: a TTL so short every request wants a refresh, and no cooldown to speak of.
    const env = {
      ...baseEnv,
      JWKS_CACHE_TTL_SECONDS: '60',
      JWKS_REFETCH_COOLDOWN_SECONDS: '1',
      JWKS_FETCH_TIMEOUT_MS: '200',
    };
    const handler = createRestHandler({ env });
    await handler(restEvent(await issuer.sign()), contexts);

    // Act & Assess
    for (const knob of ['down', 'garbage'] as const) {
      issuer.knobs[knob] = true;
      await expect(handler(restEvent(await issuer.sign()), contexts)).resolves.toMatchObject({
        principalId: 'user-1',
      });
      issuer.knobs[knob] = false;
    }
  });

  it('JWKS slower than the timeout with nothing cached: 401 well within the authorizer budget', async () => {
    // Prepare
    issuer.knobs.delayMs = 3000;
    const handler = createHttpHandler({ env: { ...baseEnv, JWKS_FETCH_TIMEOUT_MS: '300' } });
    const started = Date.now();

    // Act
    const outcome = handler(httpEvent(await issuer.sign()), contexts);

    // Assess
    await expect(outcome).rejects.toThrowError(/^Unauthorized$/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
