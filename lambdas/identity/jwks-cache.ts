import { type CryptoKey, importJWK, type JWK } from 'jose';
import { isLoopbackHost } from './config';
import { JwksFetchError } from './errors';
import {
  decodeBase64urlStrict,
  isJsonObject,
  type JsonObject,
  ownMember,
  parseStrictJson,
} from './strict-json';

/** A public verification key as published, reduced to the members the verifier uses. */
export interface PublicJwk {
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly kid: string | undefined;
  /** The key's declared algorithm, when the issuer pins one. */
  readonly alg: string | undefined;
  readonly crv: string | undefined;
  readonly n: string | undefined;
  readonly e: string | undefined;
  readonly x: string | undefined;
  readonly y: string | undefined;
}

/** Options of {@link JwksCache}. */
export interface JwksCacheOptions {
  /** The key-set URL: HTTPS, or HTTP on a loopback host. */
  readonly uri: string;
  /** @default 1500 */
  readonly fetchTimeoutMs?: number;
  /** Responses longer than this are refused (and the transfer aborted). @default 65536 */
  readonly maxResponseBytes?: number;
  /** At most one fetch per this interval once a fetch has been attempted. @default 10000 */
  readonly refetchCooldownMs?: number;
  /** Keys older than this are refreshed in the request path (stale keys are kept if that fails). @default 600000 */
  readonly ttlMs?: number;
  /** Keys beyond this count are ignored (a key set is a handful of keys). @default 50 */
  readonly maxKeys?: number;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Called on each failed fetch (for logging and the JwksFetchFailure metric). */
  readonly onFetchError?: (error: JwksFetchError) => void;
  /** Called with a description of each published key that was skipped (weak RSA, unknown type, ...). */
  readonly onKeySkipped?: (kid: string | undefined, why: string) => void;
}

const defaults = {
  fetchTimeoutMs: 1500,
  maxResponseBytes: 65_536,
  refetchCooldownMs: 10_000,
  ttlMs: 600_000,
  maxKeys: 50,
} as const;

const EC_CURVES = new Set(['P-256', 'P-384', 'P-521']);
const MIN_RSA_BITS = 2048;

/**
 * A per-container cache of one issuer's JWKS.
 *
 * Fetches are single-flight (concurrent callers share one), bounded by a timeout and a size cap, never follow
 * redirects, and are rate-limited by a cooldown so a flood of tokens with unknown `kid`s costs at most one fetch per
 * cooldown. When a refresh fails the previous keys stay in use: an issuer outage must not log everyone out.
 */
export class JwksCache {
  readonly uri: string;
  private readonly options: Required<Omit<JwksCacheOptions, 'onFetchError' | 'onKeySkipped'>> &
    Pick<JwksCacheOptions, 'onFetchError' | 'onKeySkipped'>;
  private keys: readonly PublicJwk[] | undefined;
  private fetchedAtMs = 0;
  private lastAttemptMs: number | undefined;
  private inFlight: Promise<boolean> | undefined;
  // Imported keys by JWK object then algorithm: a key without `alg` may serve RS256 and PS256.
  private readonly imported = new WeakMap<PublicJwk, Map<string, Promise<CryptoKey>>>();
  private fetches = 0;

  constructor(options: JwksCacheOptions) {
    const url = new URL(options.uri);
    if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname)))) {
      throw new TypeError(`JWKS URI must use https (http only on loopback): ${url.origin}`);
    }
    this.uri = url.href;
    this.options = { ...defaults, now: Date.now, ...options };
  }

  /** Number of fetches attempted by this cache (successful or not). */
  get fetchCount(): number {
    return this.fetches;
  }

  /**
   * The current keys: fetched on first use, refreshed after the TTL (cooldown permitting), stale ones kept when
   * the endpoint fails.
   * @throws {JwksFetchError} when no key set has ever been loaded and none can be now.
   */
  async getKeys(): Promise<readonly PublicJwk[]> {
    const now = this.options.now();
    const fresh = this.keys !== undefined && now - this.fetchedAtMs < this.options.ttlMs;
    if (!fresh && (this.inFlight !== undefined || this.mayFetch(now))) await this.refresh();
    if (this.keys === undefined) {
      throw new JwksFetchError(this.uri, 'no key set loaded (endpoint failing, retry after the cooldown)');
    }
    return this.keys;
  }

  /**
   * Refetches because a token named a `kid` the cache does not hold, unless a fetch happened within the cooldown.
   * @returns whether a fetch ran and succeeded.
   */
  async refreshForUnknownKid(): Promise<boolean> {
    if (this.inFlight === undefined && !this.mayFetch(this.options.now())) return false;
    return this.refresh();
  }

  /** The WebCrypto key for `jwk` used with `alg`, imported once. */
  async cryptoKey(jwk: PublicJwk, alg: string): Promise<CryptoKey> {
    let byAlg = this.imported.get(jwk);
    if (byAlg === undefined) {
      byAlg = new Map();
      this.imported.set(jwk, byAlg);
    }
    let key = byAlg.get(alg);
    if (key === undefined) {
      const material: JWK = { kty: jwk.kty };
      for (const member of ['crv', 'n', 'e', 'x', 'y'] as const) {
        if (jwk[member] !== undefined) material[member] = jwk[member];
      }
      key = importJWK(material, alg) as Promise<CryptoKey>;
      // A failed import must not be cached forever as a rejected promise.
      key.catch(() => byAlg.delete(alg));
      byAlg.set(alg, key);
    }
    return key;
  }

  private mayFetch(now: number): boolean {
    return this.lastAttemptMs === undefined || now - this.lastAttemptMs >= this.options.refetchCooldownMs;
  }

  private refresh(): Promise<boolean> {
    if (this.inFlight === undefined) {
      this.lastAttemptMs = this.options.now();
      this.fetches += 1;
      this.inFlight = this.fetchKeys()
        .then((keys) => {
          this.keys = keys;
          this.fetchedAtMs = this.options.now();
          return true;
        })
        .catch((error: unknown) => {
          const failure =
            error instanceof JwksFetchError
              ? error
              : new JwksFetchError(this.uri, error instanceof Error ? error.message : 'unknown error', {
                  cause: error,
                });
          this.options.onFetchError?.(failure);
          return false;
        })
        .finally(() => {
          this.inFlight = undefined;
        });
    }
    return this.inFlight;
  }

  private async fetchKeys(): Promise<readonly PublicJwk[]> {
    const signal = AbortSignal.timeout(this.options.fetchTimeoutMs);
    let response: Response;
    try {
      response = await fetch(this.uri, {
        signal,
        redirect: 'error',
        headers: { accept: 'application/json' },
      });
    } catch (error) {
      throw new JwksFetchError(this.uri, signal.aborted ? 'timed out' : 'request failed', { cause: error });
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new JwksFetchError(this.uri, `status ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > this.options.maxResponseBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new JwksFetchError(this.uri, `response larger than ${this.options.maxResponseBytes} bytes`);
    }
    const text = await this.readCapped(response, signal);
    let document: unknown;
    try {
      document = parseStrictJson(text);
    } catch (error) {
      throw new JwksFetchError(this.uri, 'response is not JSON', { cause: error });
    }
    if (!isJsonObject(document as never) || !Array.isArray((document as JsonObject).keys)) {
      throw new JwksFetchError(this.uri, 'response has no "keys" array');
    }
    const published = ownMember(document as JsonObject, 'keys') as unknown[];
    const keys: PublicJwk[] = [];
    for (const candidate of published.slice(0, this.options.maxKeys)) {
      const key = this.toPublicJwk(candidate);
      if (key !== undefined) keys.push(key);
    }
    return keys;
  }

  private async readCapped(response: Response, signal: AbortSignal): Promise<string> {
    const reader = response.body?.getReader();
    if (reader === undefined) return '';
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > this.options.maxResponseBytes) {
          await reader.cancel().catch(() => undefined);
          throw new JwksFetchError(this.uri, `response larger than ${this.options.maxResponseBytes} bytes`);
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof JwksFetchError) throw error;
      throw new JwksFetchError(this.uri, signal.aborted ? 'timed out' : 'body read failed', { cause: error });
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    } catch (error) {
      throw new JwksFetchError(this.uri, 'response is not UTF-8', { cause: error });
    }
  }

  /** Validates one published key; skipped keys are reported, never used. */
  private toPublicJwk(candidate: unknown): PublicJwk | undefined {
    if (!isJsonObject(candidate as never)) {
      this.options.onKeySkipped?.(undefined, 'not an object');
      return undefined;
    }
    const jwk = candidate as JsonObject;
    const str = (member: string): string | undefined => {
      const value = ownMember(jwk, member);
      return typeof value === 'string' ? value : undefined;
    };
    const kid = str('kid');
    const skip = (why: string): undefined => {
      this.options.onKeySkipped?.(kid, why);
      return undefined;
    };
    if (ownMember(jwk, 'kid') !== undefined && (kid === undefined || kid.length === 0 || kid.length > 256)) {
      return skip('invalid kid');
    }
    const use = ownMember(jwk, 'use');
    if (use !== undefined && use !== 'sig') return skip('not a signing key');
    const ops = ownMember(jwk, 'key_ops');
    if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify')))
      return skip('key_ops lacks verify');
    const kty = str('kty');
    const base = {
      kid,
      alg: str('alg'),
      crv: str('crv'),
      n: str('n'),
      e: str('e'),
      x: str('x'),
      y: str('y'),
    };
    try {
      if (kty === 'RSA') {
        if (base.n === undefined || base.e === undefined) return skip('RSA key without n/e');
        const modulus = decodeBase64urlStrict(base.n);
        const firstNonZero = modulus.findIndex((byte) => byte !== 0);
        const bits =
          firstNonZero < 0
            ? 0
            : (modulus.length - firstNonZero - 1) * 8 + (32 - Math.clz32(modulus[firstNonZero]!));
        if (bits < MIN_RSA_BITS) return skip(`RSA key of ${bits} bits (minimum ${MIN_RSA_BITS})`);
        decodeBase64urlStrict(base.e);
        return { kty, ...base };
      }
      if (kty === 'EC') {
        if (base.crv === undefined || !EC_CURVES.has(base.crv)) return skip('unsupported EC curve');
        if (base.x === undefined || base.y === undefined) return skip('EC key without x/y');
        decodeBase64urlStrict(base.x);
        decodeBase64urlStrict(base.y);
        return { kty, ...base };
      }
      if (kty === 'OKP') {
        if (base.crv !== 'Ed25519' || base.x === undefined) return skip('unsupported OKP key');
        decodeBase64urlStrict(base.x);
        return { kty, ...base };
      }
    } catch {
      return skip('key material is not base64url');
    }
    // Symmetric ("oct") keys are never taken from a key set: that is the HS/RS confusion door.
    return skip(`unsupported key type ${JSON.stringify(kty ?? null)}`);
  }
}
