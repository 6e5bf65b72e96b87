import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuthFailureReason } from '../../../lambdas/authorizer/types';
import type { JwtAlgorithm } from '../../../lambdas/identity/config';
import { AuthenticationError } from '../../../lambdas/identity/errors';
import { JwksCache } from '../../../lambdas/identity/jwks-cache';
import { JwtVerifier, type JwtVerifierOptions } from '../../../lambdas/identity/jwt-verifier';
import { tokenHash } from '../../../lambdas/shared/token-hash';
import { type IssuerKey, startTokenIssuer, type TokenIssuer } from '../../../lib/local/token-issuer';

const HMAC_SECRET = new TextEncoder().encode('0123456789abcdef0123456789abcdef-test-secret');

let issuer: TokenIssuer;
let attackerKey: IssuerKey;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  // Signs with a key the issuer never publishes: the attacker's own.
  attackerKey = await issuer.addKey({ kid: 'attacker', alg: 'RS256', published: false });
});

afterAll(async () => {
  await issuer.close();
});

beforeEach(() => {
  issuer.knobs.down = false;
  issuer.knobs.delayMs = 0;
  issuer.knobs.garbage = false;
  issuer.knobs.oversizedBytes = 0;
  issuer.knobs.extraKeys = 0;
});

const now = () => Date.now();
const nowSeconds = () => Math.floor(Date.now() / 1000);

function verifierFor(overrides: Partial<JwtVerifierOptions> = {}, cache?: JwksCache) {
  const keys = cache ?? new JwksCache({ uri: issuer.jwksUri, refetchCooldownMs: 60_000 });
  const verifier = new JwtVerifier({
    issuer: issuer.issuer,
    audiences: [issuer.audience],
    algorithms: ['RS256', 'ES256'],
    keys,
    ...overrides,
  });
  return { verifier, keys };
}

async function reasonOf(verifier: JwtVerifier, token: string, at = now()): Promise<AuthFailureReason | 'ok'> {
  try {
    await verifier.verify(token, at);
    return 'ok';
  } catch (error) {
    if (error instanceof AuthenticationError) return error.reason;
    throw error;
  }
}

const claims = (extra: Record<string, unknown> = {}) => ({
  iss: issuer.issuer,
  aud: issuer.audience,
  sub: 'user-1',
  iat: nowSeconds(),
  exp: nowSeconds() + 300,
  ...extra,
});

describe('JwtVerifier: valid tokens', () => {
  it('accepts RS256 and ES256 tokens and returns the identity', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const rs = await issuer.sign({ scope: 'orders:read', client_id: 'app-1' }, { kid: 'rs-1' });
    const es = await issuer.sign({}, { kid: 'es-1' });

    // Act
    const identity = await verifier.verify(rs, now());
    const second = await verifier.verify(es, now());

    // Assess
    expect(identity).toEqual({
      subject: 'user-1',
      tokenHash: tokenHash(rs),
      scope: 'orders:read',
      clientId: 'app-1',
      issuer: issuer.issuer,
      groups: [],
      claims: expect.objectContaining({ sub: 'user-1', client_id: 'app-1' }),
      issuedAt: expect.any(Number),
      expiresAt: expect.any(Number),
    });
    expect(second.subject).toBe('user-1');
  });

  it('reads scp arrays and accepts an aud array containing an accepted audience', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const token = await issuer.sign({ scope: undefined, scp: ['a', 'b'], aud: ['other', issuer.audience] });

    // Act
    const identity = await verifier.verify(token, now());

    // Assess
    expect(identity.scope).toBe('a b');
  });

  it('accepts a token without kid when the key set has exactly one key', async () => {
    // Prepare
    const single = await startTokenIssuer({ keys: [{ kid: 'only', alg: 'ES256' }] });
    const cache = new JwksCache({ uri: single.jwksUri });
    const verifier = new JwtVerifier({
      issuer: single.issuer,
      audiences: [single.audience],
      algorithms: ['ES256'],
      keys: cache,
    });
    const token = await single.sign({}, { omitKid: true });

    // Act
    const reason = await reasonOf(verifier, token);
    await single.close();

    // Assess
    expect(reason).toBe('ok');
  });
});

describe('JwtVerifier: hostile tokens', () => {
  it.each(['none', 'None', 'NONE', 'nOnE', ' none '])(
    'refuses alg %j (with and without a signature)',
    async (alg) => {
      // Prepare
      const { verifier } = verifierFor();
      const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
      const unsigned = `${encode({ alg, typ: 'JWT' })}.${encode(claims())}.`;
      const signed = issuer.signRaw({ alg, kid: 'rs-1' }, claims(), issuer.key('rs-1'));

      // Act
      const reasons = [await reasonOf(verifier, unsigned), await reasonOf(verifier, signed)];

      // Assess
      expect(reasons).toEqual(['algorithm-not-allowed', 'algorithm-not-allowed']);
    },
  );

  it('refuses HS256 keyed with the RSA public key (HS/RS confusion) when HMAC is not configured', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const pem = new TextEncoder().encode(issuer.key('rs-1').publicPem);
    const token = issuer.signRaw({ alg: 'HS256', kid: 'rs-1' }, claims(), pem);

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('algorithm-not-allowed');
  });

  it('refuses HS256 keyed with the RSA public key even when HMAC is enabled (the secret is never a JWKS key)', async () => {
    // Prepare
    const { verifier } = verifierFor({ algorithms: ['RS256', 'HS256'], hmacSecret: HMAC_SECRET });
    const pem = new TextEncoder().encode(issuer.key('rs-1').publicPem);
    const confused = issuer.signRaw({ alg: 'HS256', kid: 'rs-1' }, claims(), pem);
    const genuine = issuer.signRaw({ alg: 'HS256' }, claims(), HMAC_SECRET);

    // Act
    const reasons = [await reasonOf(verifier, confused), await reasonOf(verifier, genuine)];

    // Assess
    expect(reasons).toEqual(['invalid-signature', 'ok']);
  });

  it('refuses HS256 when a secret is configured but HS256 is not listed', async () => {
    // Prepare
    const { verifier } = verifierFor({ hmacSecret: HMAC_SECRET });
    const token = issuer.signRaw({ alg: 'HS256' }, claims(), HMAC_SECRET);

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('algorithm-not-allowed');
  });

  it('refuses an algorithm that is valid but not on the allow-list', async () => {
    // Prepare
    const ps = await issuer.addKey({ kid: 'ps-1', alg: 'PS256' });
    const { verifier } = verifierFor();
    const token = await issuer.sign({}, { kid: ps.kid });

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('algorithm-not-allowed');
  });

  it('refuses an embedded jwk header (self-signed with the attacker key)', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const token = issuer.signRaw(
      { alg: 'RS256', kid: 'attacker', jwk: attackerKey.publicJwk },
      claims(),
      attackerKey,
    );

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('header-not-allowed');
  });

  it.each([
    ['jku', 'https://attacker.example/jwks.json'],
    ['x5u', 'https://attacker.example/cert.pem'],
    ['x5c', ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA']],
  ])('refuses a %s header', async (name, value) => {
    // Prepare
    const { verifier } = verifierFor();
    const token = issuer.signRaw({ alg: 'RS256', kid: 'rs-1', [name]: value }, claims(), issuer.key('rs-1'));

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('header-not-allowed');
  });

  it.each([
    '../../../../../../dev/null',
    "x'||'1'='1",
    '/etc/passwd',
    '__proto__',
    'constructor',
    'rs-1/../es-1',
  ])('treats kid %j as an unknown key', async (kid) => {
    // Prepare
    const { verifier } = verifierFor();
    const token = issuer.signRaw({ alg: 'RS256', kid }, claims(), issuer.key('rs-1'));

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('unknown-key');
  });

  it.each([['a\u0000b'], ["x' UNION SELECT 'secret' --"], ['x'.repeat(257)], [''], [42]])(
    'refuses a malformed kid %#',
    async (kid) => {
      // Prepare
      const { verifier } = verifierFor();
      const token = issuer.signRaw({ alg: 'RS256', kid }, claims(), issuer.key('rs-1'));

      // Act
      const reason = await reasonOf(verifier, token);

      // Assess
      expect(reason).toBe('malformed-token');
    },
  );

  it('requires kid when the key set has more than one key', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const token = await issuer.sign({}, { kid: 'rs-1', omitKid: true });

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('unknown-key');
  });

  it('refuses a key of the wrong type for the alg (ES256 header naming an RSA kid)', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const token = issuer.signRaw({ alg: 'ES256', kid: 'rs-1' }, claims(), issuer.key('es-1'));

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('unknown-key');
  });

  it('refuses expired tokens, beyond the tolerance only', async () => {
    // Prepare
    const { verifier } = verifierFor({ clockToleranceSeconds: 30 });
    const expired = await issuer.sign({ iat: nowSeconds() - 600, exp: nowSeconds() - 31 });
    const withinTolerance = await issuer.sign({ iat: nowSeconds() - 600, exp: nowSeconds() - 20 });

    // Act
    const reasons = [await reasonOf(verifier, expired), await reasonOf(verifier, withinTolerance)];

    // Assess
    expect(reasons).toEqual(['expired', 'ok']);
  });

  it('refuses tokens without exp, or with a non-numeric exp', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const noExp = await issuer.sign({ exp: undefined });
    const stringExp = await issuer.sign({ exp: String(nowSeconds() + 300) });

    // Act
    const reasons = [await reasonOf(verifier, noExp), await reasonOf(verifier, stringExp)];

    // Assess
    expect(reasons).toEqual(['claims-invalid', 'claims-invalid']);
  });

  it('refuses nbf and iat in the future beyond the tolerance', async () => {
    // Prepare
    const { verifier } = verifierFor({ clockToleranceSeconds: 30 });
    const futureNbf = await issuer.sign({ nbf: nowSeconds() + 120 });
    const futureIat = await issuer.sign({ iat: nowSeconds() + 120, exp: nowSeconds() + 600 });
    const slightSkew = await issuer.sign({ iat: nowSeconds() + 10, nbf: nowSeconds() + 10 });

    // Act
    const reasons = [
      await reasonOf(verifier, futureNbf),
      await reasonOf(verifier, futureIat),
      await reasonOf(verifier, slightSkew),
    ];

    // Assess
    expect(reasons).toEqual(['not-yet-valid', 'not-yet-valid', 'ok']);
  });

  it('enforces the maximum token age from iat (and then requires iat)', async () => {
    // Prepare
    const { verifier } = verifierFor({ maxTokenAgeSeconds: 600, clockToleranceSeconds: 0 });
    const old = await issuer.sign({ iat: nowSeconds() - 3600, exp: nowSeconds() + 300 });
    const noIat = await issuer.sign({ iat: undefined });
    const fresh = await issuer.sign();

    // Act
    const reasons = [
      await reasonOf(verifier, old),
      await reasonOf(verifier, noIat),
      await reasonOf(verifier, fresh),
    ];

    // Assess
    expect(reasons).toEqual(['too-old', 'claims-invalid', 'ok']);
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example' }],
    ['issuer with a trailing slash', { iss: 'https://issuer.gatewarden.test/' }],
    ['issuer in another case', { iss: 'HTTPS://ISSUER.GATEWARDEN.TEST' }],
    ['no issuer', { iss: undefined }],
    ['another audience', { aud: 'someone-else' }],
    ['no audience', { aud: undefined }],
    ['empty audience list', { aud: [] }],
    ['audience list with a non-string', { aud: [issuer?.audience ?? 'x', 1] }],
    ['no subject', { sub: undefined }],
    ['non-string subject', { sub: 42 }],
  ])('refuses a token with %s', async (_label, extra) => {
    // Prepare
    const { verifier } = verifierFor();
    const token = await issuer.sign(extra);

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('claims-invalid');
  });

  it.each([
    ['an unknown crit extension', { crit: ['http://example.com/ext'], 'http://example.com/ext': true }],
    ['crit naming a registered claim', { crit: ['exp'] }],
    ['an empty crit list', { crit: [] }],
    ['b64: false', { b64: false, crit: ['b64'] }],
    ['b64: false without crit', { b64: false }],
  ])('refuses %s', async (_label, header) => {
    // Prepare
    const { verifier } = verifierFor();
    const token = issuer.signRaw({ alg: 'RS256', kid: 'rs-1', ...header }, claims(), issuer.key('rs-1'));

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('header-not-allowed');
  });

  it('refuses empty, invalid, zero (r = s = 0) and DER-encoded ECDSA signatures', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const valid = await issuer.sign({}, { kid: 'es-1' });
    const input = valid.slice(0, valid.lastIndexOf('.'));
    const withSignature = (bytes: Buffer) => `${input}.${bytes.toString('base64url')}`;
    const der = Buffer.concat([
      Buffer.from([0x30, 0x44, 0x02, 0x20]),
      Buffer.alloc(32, 1),
      Buffer.from([0x02, 0x20]),
      Buffer.alloc(32, 1),
    ]);

    // Act
    const reasons = [
      await reasonOf(verifier, `${input}.`),
      await reasonOf(verifier, withSignature(Buffer.alloc(64, 7))),
      await reasonOf(verifier, withSignature(Buffer.alloc(64, 0))),
      await reasonOf(verifier, withSignature(Buffer.concat([Buffer.alloc(32, 0), Buffer.alloc(32, 9)]))),
      await reasonOf(verifier, withSignature(der)),
      await reasonOf(verifier, valid),
    ];

    // Assess
    expect(reasons).toEqual([
      'invalid-signature',
      'invalid-signature',
      'invalid-signature',
      'invalid-signature',
      'invalid-signature',
      'ok',
    ]);
  });

  it('refuses an RSA signature made by another key, and a tampered payload', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const forged = issuer.signRaw({ alg: 'RS256', kid: 'rs-1' }, claims(), attackerKey);
    const valid = await issuer.sign();
    const [header, , signature] = valid.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims({ sub: 'admin' }))).toString('base64url')}.${signature}`;

    // Act
    const reasons = [await reasonOf(verifier, forged), await reasonOf(verifier, tampered)];

    // Assess
    expect(reasons).toEqual(['invalid-signature', 'invalid-signature']);
  });

  it('rejects duplicate claim names (documented rule: the whole token is refused), even when validly signed', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const base = JSON.stringify(claims()).slice(1, -1);
    const duplicateSub = issuer.signRaw(
      { alg: 'RS256', kid: 'rs-1' },
      `{${base},"sub":"admin"}`,
      issuer.key('rs-1'),
    );
    const duplicateNested = issuer.signRaw(
      { alg: 'RS256', kid: 'rs-1' },
      `{${base},"ctx":{"role":"user","role":"admin"}}`,
      issuer.key('rs-1'),
    );
    const duplicateHeader = issuer.signRaw(
      '{"alg":"none","alg":"RS256","kid":"rs-1"}',
      claims(),
      issuer.key('rs-1'),
    );

    // Act
    const reasons = [
      await reasonOf(verifier, duplicateSub),
      await reasonOf(verifier, duplicateNested),
      await reasonOf(verifier, duplicateHeader),
    ];

    // Assess
    expect(reasons).toEqual(['malformed-token', 'malformed-token', 'malformed-token']);
  });

  it('is __proto__ safe: a __proto__ claim neither supplies claims nor pollutes Object.prototype', async () => {
    // Prepare
    const { verifier } = verifierFor();
    const base = JSON.stringify(claims({ sub: undefined })).slice(1, -1);
    const token = issuer.signRaw(
      { alg: 'RS256', kid: 'rs-1' },
      `{${base},"__proto__":{"sub":"admin","polluted":true}}`,
      issuer.key('rs-1'),
    );
    const headerProto = issuer.signRaw(
      '{"__proto__":{"alg":"none"},"alg":"RS256","kid":"rs-1"}',
      claims(),
      issuer.key('rs-1'),
    );

    // Act
    const reasons = [await reasonOf(verifier, token), await reasonOf(verifier, headerProto)];

    // Assess
    expect(reasons).toEqual(['claims-invalid', 'ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['padding on the payload', (t: string) => t.replace(/\.([^.]+)\./, '.$1=.')],
    ['padding on the signature', (t: string) => `${t}==`],
    ['a + in the signature', (t: string) => `${t.slice(0, -1)}+`],
    ['a / in the payload', (t: string) => t.replace('.', './')],
    ['whitespace inside', (t: string) => t.replace('.', '. ')],
    ['a non-canonical final character', (t: string) => nonCanonical(t)],
    ['four segments', (t: string) => `${t}.AAAA`],
    ['two segments', (t: string) => t.slice(0, t.lastIndexOf('.'))],
    ['a JSON array header', (_t: string) => issuer.signRaw('[1]', claims(), issuer.key('rs-1'))],
    [
      'a non-JSON payload',
      (_t: string) => issuer.signRaw({ alg: 'RS256', kid: 'rs-1' }, 'not json', issuer.key('rs-1')),
    ],
    [
      'a payload that is a JSON string',
      (_t: string) => issuer.signRaw({ alg: 'RS256', kid: 'rs-1' }, '"x"', issuer.key('rs-1')),
    ],
  ])('refuses %s', async (_label, mutate) => {
    // Prepare
    const { verifier } = verifierFor();
    const token = mutate(await issuer.sign());

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('malformed-token');
  });

  it('refuses an oversized token before parsing it, even when validly signed', async () => {
    // Prepare
    const { verifier } = verifierFor({ maxTokenBytes: 8192 });
    const token = await issuer.sign({ filler: 'x'.repeat(9000) });
    const garbage = 'x'.repeat(100_000);

    // Act
    const reasons = [await reasonOf(verifier, token), await reasonOf(verifier, garbage)];

    // Assess
    expect(reasons).toEqual(['token-too-large', 'token-too-large']);
  });

  it('refuses tokens signed by a weak (1024-bit) RSA key published in the JWKS', async () => {
    // Prepare
    const weak = await issuer.addKey({ kid: 'weak-1024', alg: 'RS256', modulusLength: 1024 });
    const skipped: string[] = [];
    const cache = new JwksCache({
      uri: issuer.jwksUri,
      onKeySkipped: (kid, why) => skipped.push(`${kid}: ${why}`),
    });
    const { verifier } = verifierFor({}, cache);
    const token = await issuer.sign({}, { kid: weak.kid });

    // Act
    const reason = await reasonOf(verifier, token);
    weak.published = false;

    // Assess
    expect(reason).toBe('unknown-key');
    expect(skipped).toContain('weak-1024: RSA key of 1024 bits (minimum 2048)');
  });

  it('also refuses a weak RSA key handed to jose directly (defence in depth)', async () => {
    // Prepare
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = publicKey.export({ format: 'jwk' });
    const source = {
      getKeys: async () => [
        {
          kty: 'RSA' as const,
          kid: 'w',
          alg: undefined,
          crv: undefined,
          n: jwk.n,
          e: jwk.e,
          x: undefined,
          y: undefined,
        },
      ],
      refreshForUnknownKid: async () => false,
      cryptoKey: (key: Parameters<JwksCache['cryptoKey']>[0], alg: string) =>
        new JwksCache({ uri: issuer.jwksUri }).cryptoKey(key, alg),
    };
    const verifier = new JwtVerifier({
      issuer: issuer.issuer,
      audiences: [issuer.audience],
      algorithms: ['RS256'],
      keys: source,
    });
    const weak = await issuer.addKey({ kid: 'w', alg: 'RS256', modulusLength: 1024, published: false });
    const token = await issuer.sign({}, { kid: weak.kid });

    // Act
    const reason = await reasonOf(verifier, token);

    // Assess
    expect(reason).toBe('unknown-key');
  });

  it('survives an unknown-kid flood with at most one refetch per cooldown', async () => {
    // Prepare
    const cache = new JwksCache({ uri: issuer.jwksUri, refetchCooldownMs: 60_000 });
    const { verifier } = verifierFor({}, cache);
    await verifier.verify(await issuer.sign(), now());
    const before = issuer.fetchCount;
    const tokens = Array.from({ length: 200 }, (_, i) =>
      issuer.signRaw({ alg: 'RS256', kid: `random-${i}` }, claims(), attackerKey),
    );

    // Act
    const reasons = await Promise.all(tokens.map((token) => reasonOf(verifier, token)));

    // Assess
    expect(new Set(reasons)).toEqual(new Set(['unknown-key']));
    expect(issuer.fetchCount - before).toBeLessThanOrEqual(1);
    expect(cache.fetchCount).toBe(1);
  });

  it('refetches once for a genuinely new kid after the cooldown (key rotation)', async () => {
    // Prepare
    let clock = Date.now();
    const cache = new JwksCache({ uri: issuer.jwksUri, refetchCooldownMs: 10_000, now: () => clock });
    const { verifier } = verifierFor({}, cache);
    await verifier.verify(await issuer.sign(), now());
    const rotated = await issuer.addKey({ kid: 'rs-2', alg: 'RS256', published: false });
    const token = await issuer.sign({}, { kid: rotated.kid });
    const beforePublish = await reasonOf(verifier, token);
    rotated.published = true;

    // Act
    const withinCooldown = await reasonOf(verifier, token);
    clock += 10_001;
    const afterCooldown = await reasonOf(verifier, token);

    // Assess
    expect([beforePublish, withinCooldown, afterCooldown]).toEqual(['unknown-key', 'unknown-key', 'ok']);
    // The first load, then one refetch once the cooldown had passed.
    expect(cache.fetchCount).toBe(2);
  });

  it('answers jwks-unavailable when the endpoint is down and nothing is cached', async () => {
    // Prepare
    issuer.knobs.down = true;
    const { verifier } = verifierFor();

    // Act
    const reason = await reasonOf(verifier, await issuer.sign());

    // Assess
    expect(reason).toBe('jwks-unavailable');
  });

  it('keeps verifying with cached (stale) keys when the endpoint goes down', async () => {
    // Prepare
    let clock = Date.now();
    const cache = new JwksCache({
      uri: issuer.jwksUri,
      ttlMs: 60_000,
      refetchCooldownMs: 1000,
      now: () => clock,
    });
    const { verifier } = verifierFor({}, cache);
    await verifier.verify(await issuer.sign(), now());
    issuer.knobs.down = true;
    clock += 120_000;

    // Act
    const reason = await reasonOf(verifier, await issuer.sign());

    // Assess
    expect(reason).toBe('ok');
    expect(cache.fetchCount).toBe(2);
  });

  it('treats JWE-shaped (5-segment) input as malformed', async () => {
    // Prepare
    const { verifier } = verifierFor();

    // Act
    const reason = await reasonOf(verifier, 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d');

    // Assess
    expect(reason).toBe('malformed-token');
  });
});

describe('JwtVerifier: construction', () => {
  it('fails fast when HS256 is listed without a long enough secret', () => {
    // Prepare
    const make = (secret?: Uint8Array) => () =>
      new JwtVerifier({
        issuer: 'i',
        audiences: ['a'],
        algorithms: ['HS256'] as JwtAlgorithm[],
        hmacSecret: secret,
        keys: new JwksCache({ uri: 'https://issuer.gatewarden.test/jwks' }),
      });

    // Act & Assess
    expect(make()).toThrow(/HS256 requires an HMAC secret/);
    expect(make(new Uint8Array(8))).toThrow(/HS256 requires an HMAC secret/);
    expect(make(HMAC_SECRET)).not.toThrow();
  });
});

/** Flips the unused low bits of the payload segment's last character (same bytes, another spelling). */
function nonCanonical(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const remainder = payload.length % 4;
  // With 2 or 3 characters in the last quantum, 4 or 2 low bits of the last character are padding bits.
  const spare = remainder === 2 ? 4 : remainder === 3 ? 2 : 0;
  if (spare === 0) return `${header}.${payload}=.${signature}`;
  const last = alphabet.indexOf(payload.at(-1)!);
  const flipped = alphabet[last ^ 1]!;
  return `${header}.${payload.slice(0, -1)}${flipped}.${signature}`;
}
