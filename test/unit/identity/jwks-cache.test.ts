import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isJwksFetchError, type JwksFetchError } from '../../../lambdas/identity/errors';
import { JwksCache, type JwksCacheOptions } from '../../../lambdas/identity/jwks-cache';
import { startTokenIssuer, type TokenIssuer } from '../../../lib/local/token-issuer';

let issuer: TokenIssuer;

beforeAll(async () => {
  issuer = await startTokenIssuer();
});

afterAll(async () => {
  await issuer.close();
});

beforeEach(() => {
  Object.assign(issuer.knobs, { down: false, delayMs: 0, garbage: false, oversizedBytes: 0, extraKeys: 0 });
});

/** Runs one load with `options` and returns the fetch failure it reported. */
async function failureOf(options: JwksCacheOptions): Promise<JwksFetchError | undefined> {
  const failures: JwksFetchError[] = [];
  const cache = new JwksCache({ ...options, onFetchError: (error) => failures.push(error) });
  const outcome = await cache.getKeys().catch((error: unknown) => error);
  expect(isJwksFetchError(outcome)).toBe(true);
  return failures[0];
}

describe('JwksCache', () => {
  it('fetches once and serves the keys from memory', async () => {
    // Prepare
    const cache = new JwksCache({ uri: issuer.jwksUri });
    const before = issuer.fetchCount;

    // Act
    const results = await Promise.all([cache.getKeys(), cache.getKeys(), cache.getKeys()]);
    await cache.getKeys();

    // Assess
    expect(results[0]!.map((key) => key.kid)).toEqual(['rs-1', 'es-1']);
    expect(issuer.fetchCount - before).toBe(1);
    expect(cache.fetchCount).toBe(1);
  });

  it('refreshes after the TTL', async () => {
    // Prepare
    let clock = 0;
    const cache = new JwksCache({
      uri: issuer.jwksUri,
      ttlMs: 60_000,
      refetchCooldownMs: 1000,
      now: () => clock,
    });
    await cache.getKeys();

    // Act
    clock = 59_000;
    await cache.getKeys();
    clock = 61_000;
    await cache.getKeys();

    // Assess
    expect(cache.fetchCount).toBe(2);
  });

  it('times out a slow endpoint', async () => {
    // Prepare
    issuer.knobs.delayMs = 1000;
    const options = { uri: issuer.jwksUri, fetchTimeoutMs: 100 };

    // Act
    const started = Date.now();
    const failure = await failureOf(options);

    // Assess
    expect(failure?.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('refuses an oversized response', async () => {
    // Prepare
    issuer.knobs.oversizedBytes = 200_000;
    const options = { uri: issuer.jwksUri, maxResponseBytes: 65_536 };

    // Act
    const failure = await failureOf(options);

    // Assess
    expect(failure?.message).toMatch(/larger than 65536 bytes/);
  });

  it('refuses a garbage response and a failing status', async () => {
    // Prepare
    const options = { uri: issuer.jwksUri };

    // Act
    issuer.knobs.garbage = true;
    const garbage = await failureOf(options);
    issuer.knobs.garbage = false;
    issuer.knobs.down = true;
    const down = await failureOf(options);

    // Assess
    expect(garbage?.message).toMatch(/not JSON/);
    expect(down?.message).toMatch(/status 503/);
  });

  it('fails when nothing was ever loaded, and only retries after the cooldown', async () => {
    // Prepare
    issuer.knobs.down = true;
    let clock = 0;
    const cache = new JwksCache({ uri: issuer.jwksUri, refetchCooldownMs: 5000, now: () => clock });

    // Act
    const first = await cache.getKeys().catch((error) => error);
    const second = await cache.getKeys().catch((error) => error);
    issuer.knobs.down = false;
    clock = 5000;
    const third = await cache.getKeys();

    // Assess
    expect(isJwksFetchError(first)).toBe(true);
    expect(isJwksFetchError(second)).toBe(true);
    expect(third).toHaveLength(2);
    expect(cache.fetchCount).toBe(2);
  });

  it('keeps stale keys when a refresh fails', async () => {
    // Prepare
    let clock = 0;
    const cache = new JwksCache({
      uri: issuer.jwksUri,
      ttlMs: 60_000,
      refetchCooldownMs: 1000,
      now: () => clock,
    });
    await cache.getKeys();
    issuer.knobs.down = true;
    clock = 120_000;

    // Act
    const keys = await cache.getKeys();

    // Assess
    expect(keys.map((key) => key.kid)).toEqual(['rs-1', 'es-1']);
    expect(cache.fetchCount).toBe(2);
  });

  it('caps the number of keys taken from a set', async () => {
    // Prepare
    issuer.knobs.extraKeys = 8;
    const cache = new JwksCache({ uri: issuer.jwksUri, maxKeys: 5 });

    // Act
    const keys = await cache.getKeys();

    // Assess
    expect(keys).toHaveLength(5);
  });

  it('requires https except on loopback', () => {
    // Act & Assess
    expect(() => new JwksCache({ uri: 'http://issuer.gatewarden.test/jwks' })).toThrow(/https/);
    expect(() => new JwksCache({ uri: 'ftp://127.0.0.1/jwks' })).toThrow(/https/);
    expect(() => new JwksCache({ uri: 'http://127.0.0.1:1/jwks' })).not.toThrow();
    expect(() => new JwksCache({ uri: 'https://issuer.gatewarden.test/jwks' })).not.toThrow();
  });
});
