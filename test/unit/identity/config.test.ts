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
      algorithms: ['RS256', 'ES256'],
      hmacSecret: undefined,
      maxTokenAgeSeconds: undefined,
      clockToleranceSeconds: 30,
      maxTokenBytes: 8192,
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
