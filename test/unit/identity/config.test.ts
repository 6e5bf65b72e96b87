import { describe, expect, it } from 'vitest';
import { DEFAULT_PRIMITIVE_AUTH_QUERY_PARAMS, loadIdentityConfig } from '../../../lambdas/identity/config';
import { IdentityConfigError, isIdentityConfigError } from '../../../lambdas/identity/errors';

const base = {
  JWT_ISSUER: 'https://issuer.gatewarden.test',
  JWKS_URI: 'https://issuer.gatewarden.test/.well-known/jwks.json',
  JWT_AUDIENCE: 'orders-api, admin-api',
};

const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadIdentityConfig(env);
  } catch (error) {
    if (isIdentityConfigError(error)) return [...error.problems];
    throw error;
  }
  return [];
};

describe('loadIdentityConfig', () => {
  it('applies the documented defaults', () => {
    // Act
    const config = loadIdentityConfig(base);

    // Assess
    expect(config).toEqual({
      issuer: base.JWT_ISSUER,
      jwksUri: base.JWKS_URI,
      audiences: ['orders-api', 'admin-api'],
      issuers: [
        {
          issuer: base.JWT_ISSUER,
          jwksUri: base.JWKS_URI,
          audiences: ['orders-api', 'admin-api'],
          clientIds: [],
          tokenUse: 'access',
        },
      ],
      clientIds: [],
      tokenUse: 'access',
      groupsClaim: undefined,
      algorithms: ['RS256', 'ES256'],
      hmacSecret: undefined,
      maxTokenAgeSeconds: undefined,
      clockToleranceSeconds: 30,
      maxTokenBytes: 10_240,
      trustedProxyCount: 0,
      mtlsAllowedSubjects: undefined,
      mtlsAllowedIssuers: undefined,
      primitiveAuthQueryParams: [...DEFAULT_PRIMITIVE_AUTH_QUERY_PARAMS],
      jwksFetchTimeoutMs: 1500,
      jwksMaxBytes: 65_536,
      jwksRefetchCooldownSeconds: 10,
      jwksCacheTtlSeconds: 600,
    });
  });

  it('names every missing required variable and how to fix it', () => {
    // Act
    const problems = problemsOf({});

    // Assess
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^JWT_ISSUER is required: set it to/);
    expect(problems[1]).toMatch(/^JWKS_URI is required: set it to/);
    expect(problems[2]).toMatch(/^JWT_AUDIENCE is required/);
    expect(() => loadIdentityConfig({})).toThrow(IdentityConfigError);
  });

  it.each([
    ['http on a public host', 'http://issuer.gatewarden.test/jwks', /must use https/],
    ['not a URL', 'issuer jwks', /is not a URL/],
    ['embedded credentials', 'https://user:pw@issuer.gatewarden.test/jwks', /must not embed credentials/],
  ])('refuses a JWKS_URI with %s', (_label, uri, message) => {
    // Act
    const problems = problemsOf({ ...base, JWKS_URI: uri });

    // Assess
    expect(problems.join()).toMatch(message);
    expect(problems.join()).toMatch(/^JWKS_URI/);
  });

  it.each(['http://127.0.0.1:8080/jwks', 'http://localhost:1/jwks', 'http://[::1]:9/jwks'])(
    'accepts http on loopback: %s',
    (uri) => {
      // Act & Assess
      expect(loadIdentityConfig({ ...base, JWKS_URI: uri }).jwksUri).toBe(uri);
    },
  );

  it.each([
    ['none', /JWT_ALGORITHMS lists an unsupported algorithm "none"/],
    ['RS256,HS512', /unsupported algorithm "HS512"/],
    ['HS256', /JWT_HMAC_SECRET is required when JWT_ALGORITHMS lists HS256/],
  ])('refuses JWT_ALGORITHMS=%s', (algorithms, message) => {
    // Act & Assess
    expect(problemsOf({ ...base, JWT_ALGORITHMS: algorithms }).join()).toMatch(message);
  });

  it('enables HS256 only when listed and keyed; a secret alone does nothing', () => {
    // Prepare
    const secret = 'a'.repeat(40);

    // Act
    const keyedOnly = loadIdentityConfig({ ...base, JWT_HMAC_SECRET: secret });
    const both = loadIdentityConfig({ ...base, JWT_HMAC_SECRET: secret, JWT_ALGORITHMS: 'RS256,HS256' });

    // Assess
    expect(keyedOnly.hmacSecret).toBeUndefined();
    expect(both.hmacSecret).toEqual(new TextEncoder().encode(secret));
    expect(problemsOf({ ...base, JWT_HMAC_SECRET: 'short', JWT_ALGORITHMS: 'HS256' }).join()).toMatch(
      /JWT_HMAC_SECRET is shorter than 32 bytes/,
    );
  });

  it.each([
    ['JWT_CLOCK_TOLERANCE_SECONDS', '-1'],
    ['JWT_CLOCK_TOLERANCE_SECONDS', '301'],
    ['JWT_MAX_BYTES', '1e4'],
    ['TRUSTED_PROXY_COUNT', 'two'],
    ['JWT_MAX_TOKEN_AGE_SECONDS', '0'],
    ['JWKS_FETCH_TIMEOUT_MS', '60000'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    // Act & Assess
    expect(problemsOf({ ...base, [name]: value }).join()).toMatch(new RegExp(`^${name} `));
  });

  it('reads lists: audiences, DN allow-lists (;-separated) and primitive-auth parameters ("" disables)', () => {
    // Act
    const config = loadIdentityConfig({
      ...base,
      MTLS_ALLOWED_SUBJECTS: 'CN=client-a,O=Example; CN=client-b,O=Example',
      MTLS_ALLOWED_ISSUERS: 'CN=Example CA',
      PRIMITIVE_AUTH_QUERY_PARAMS: 'Access_Token,key',
      TRUSTED_PROXY_COUNT: '2',
    });
    const disabled = loadIdentityConfig({ ...base, PRIMITIVE_AUTH_QUERY_PARAMS: '' });

    // Assess
    expect(config.mtlsAllowedSubjects).toEqual(['CN=client-a,O=Example', 'CN=client-b,O=Example']);
    expect(config.mtlsAllowedIssuers).toEqual(['CN=Example CA']);
    expect(config.primitiveAuthQueryParams).toEqual(['access_token', 'key']);
    expect(config.trustedProxyCount).toBe(2);
    expect(disabled.primitiveAuthQueryParams).toEqual([]);
  });
});

describe('loadIdentityConfig: issuers, clients and token use (issue 15)', () => {
  it('accepts JWT_CLIENT_IDS in place of JWT_AUDIENCE and reads JWT_TOKEN_USE and JWT_GROUPS_CLAIM', () => {
    // Act
    const config = loadIdentityConfig({
      JWT_ISSUER: base.JWT_ISSUER,
      JWKS_URI: base.JWKS_URI,
      JWT_CLIENT_IDS: 'client-a, client-b',
      JWT_TOKEN_USE: 'id',
      JWT_GROUPS_CLAIM: 'realm_access.roles',
    });

    // Assess
    expect(config.issuers).toEqual([
      {
        issuer: base.JWT_ISSUER,
        jwksUri: base.JWKS_URI,
        audiences: [],
        clientIds: ['client-a', 'client-b'],
        tokenUse: 'id',
      },
    ]);
    expect(config.groupsClaim).toBe('realm_access.roles');
  });

  it('derives the issuer and key set of a Cognito user pool from COGNITO_USER_POOL_ID', () => {
    // Act
    const config = loadIdentityConfig({
      COGNITO_USER_POOL_ID: 'eu-west-1_AbCdEf123',
      AWS_REGION: 'eu-west-1',
      JWT_CLIENT_IDS: '1example23456789',
    });

    // Assess
    expect(config.issuer).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123');
    expect(config.jwksUri).toBe(
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json',
    );
    expect(config.tokenUse).toBe('access');
  });

  it('reads JWT_ISSUERS with per-entry rules, defaults from the global variables, and non-URL issuers', () => {
    // Act
    const config = loadIdentityConfig({
      JWT_AUDIENCE: 'web-client',
      JWT_ISSUERS: JSON.stringify([
        { issuer: 'https://accounts.google.com', jwksUri: 'https://www.googleapis.com/oauth2/v3/certs' },
        {
          issuer: 'accounts.google.com',
          jwksUri: 'https://www.googleapis.com/oauth2/v3/certs',
          tokenUse: 'id',
        },
        {
          issuer: 'https://idp.test/',
          jwksUri: 'http://127.0.0.1:9/jwks',
          clientIds: ['m2m'],
          audiences: [],
        },
      ]),
    });

    // Assess
    expect(
      config.issuers.map((entry) => [entry.issuer, entry.audiences, entry.clientIds, entry.tokenUse]),
    ).toEqual([
      ['https://accounts.google.com', ['web-client'], [], 'access'],
      ['accounts.google.com', ['web-client'], [], 'id'],
      ['https://idp.test/', [], ['m2m'], 'access'],
    ]);
  });

  it.each([
    ['JWT_ISSUERS that is not JSON', { JWT_ISSUERS: '[{', JWT_AUDIENCE: 'a' }, /^JWT_ISSUERS is not JSON/],
    [
      'a JWT_ISSUERS entry with an http key set on a public host',
      { JWT_ISSUERS: '[{"issuer":"x","jwksUri":"http://idp.test/jwks"}]', JWT_AUDIENCE: 'a' },
      /^JWT_ISSUERS \[0\]\.jwksUri: jwksUri must use https/,
    ],
    [
      'a JWT_ISSUERS entry with a misspelt key',
      { JWT_ISSUERS: '[{"issuer":"x","jwksUri":"https://idp.test/j","audience":["a"]}]', JWT_AUDIENCE: 'a' },
      /^JWT_ISSUERS \[0\]: /,
    ],
    [
      'JWT_ISSUERS beside JWT_ISSUER',
      { ...base, JWT_ISSUERS: '[{"issuer":"x","jwksUri":"https://idp.test/j"}]' },
      /^JWT_ISSUERS cannot be combined/,
    ],
    [
      'COGNITO_USER_POOL_ID that is no pool id',
      { COGNITO_USER_POOL_ID: 'pool', JWT_CLIENT_IDS: 'c' },
      /^COGNITO_USER_POOL_ID is not a user pool id/,
    ],
    [
      'neither JWT_AUDIENCE nor JWT_CLIENT_IDS',
      { JWT_ISSUER: base.JWT_ISSUER, JWKS_URI: base.JWKS_URI },
      /^JWT_AUDIENCE is required/,
    ],
    [
      'an unknown JWT_TOKEN_USE',
      { ...base, JWT_TOKEN_USE: 'refresh' },
      /^JWT_TOKEN_USE must be access, id or any/,
    ],
  ])('refuses %s, naming the variable', (_name, env, pattern) => {
    // Act
    const problems = problemsOf(env);

    // Assess
    expect(problems.some((p) => pattern.test(p))).toBe(true);
  });
});
