import { type CryptoKey, compactVerify, errors as joseErrors } from 'jose';
import type { AuthFailureReason, Identity } from '../authorizer/types';
import { tokenHash } from '../shared/token-hash';
import type { JwtAlgorithm } from './config';
import { AuthenticationError, isJwksFetchError } from './errors';
import type { PublicJwk } from './jwks-cache';
import {
  decodeBase64urlStrict,
  decodeJsonSegment,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  ownMember,
} from './strict-json';

/** Where the verifier gets public keys; {@link JwksCache} is the production implementation. */
export interface KeySource {
  getKeys(): Promise<readonly PublicJwk[]>;
  refreshForUnknownKid(): Promise<boolean>;
  cryptoKey(jwk: PublicJwk, alg: string): Promise<CryptoKey>;
}

/** Options of {@link JwtVerifier}; the handler fills them from {@link IdentityConfig}. */
export interface JwtVerifierOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly algorithms: readonly JwtAlgorithm[];
  readonly keys: KeySource;
  /** HS256 key; HS256 must also be in `algorithms`. @default undefined (no HMAC) */
  readonly hmacSecret?: Uint8Array | undefined;
  /** @default undefined (no limit) */
  readonly maxTokenAgeSeconds?: number | undefined;
  /** @default 30 */
  readonly clockToleranceSeconds?: number;
  /** @default 8192 */
  readonly maxTokenBytes?: number;
}

/** Header parameters that would let the token choose its own key (RFC 8725 §3.10 / §2.x attacks). */
const KEY_CHOOSING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;
const KID_PATTERN = /^[\x21-\x7e]{1,256}$/;
/** Raw (IEEE P1363) ECDSA signature lengths. */
const ECDSA_SIGNATURE_BYTES: Readonly<Record<string, number>> = { ES256: 64, ES384: 96, ES512: 132 };
const EC_CURVE_FOR: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

function fail(reason: AuthFailureReason, detail: string, cause?: unknown): never {
  throw new AuthenticationError(reason, detail, cause === undefined ? undefined : { cause });
}

/** Whether a published key can verify `alg`. */
function keyFits(jwk: PublicJwk, alg: string): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return jwk.kty === 'RSA';
  if (alg.startsWith('ES')) return jwk.kty === 'EC' && jwk.crv === EC_CURVE_FOR[alg];
  if (alg === 'EdDSA') return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
  return false;
}

/**
 * Verifies compact JWS access tokens strictly. jose does the cryptography; this class adds what jose does not
 * enforce by default, in this order (cheap and structural first, crypto next, claims last):
 *
 * 1. size cap before any decoding (`JWT_MAX_BYTES`);
 * 2. exactly three segments, canonical base64url (no `=` padding, no foreign characters), UTF-8, JSON objects
 *    with **no duplicate member names** (the token is rejected: readers that keep the first or last value
 *    would disagree) and no prototype (`__proto__` is an ordinary, ignored key);
 * 3. `alg` on the allow-list, `none` refused in any spelling, HS256 only with a configured secret;
 * 4. `jku`, `x5u`, `jwk`, `x5c` refused (never used to pick a key), any `crit` refused (no extension is
 *    understood), `b64` refused (unencoded payloads are not JWTs);
 * 5. key from the JWKS only: by `kid`, or the single key when the set has exactly one; an unknown `kid` triggers
 *    at most one refetch per cooldown; RSA keys under 2048 bits never enter the cache;
 * 6. signature (empty, wrong-length and zero ECDSA signatures refused before crypto);
 * 7. claims: `exp` required; `nbf`/`iat` in the future beyond tolerance refused; optional max age from `iat`;
 *    `iss` exact; `aud` must contain a configured audience; `sub` required.
 */
export class JwtVerifier {
  private readonly options: Required<Omit<JwtVerifierOptions, 'hmacSecret' | 'maxTokenAgeSeconds'>> &
    Pick<JwtVerifierOptions, 'hmacSecret' | 'maxTokenAgeSeconds'>;
  private readonly allowed: ReadonlySet<string>;

  constructor(options: JwtVerifierOptions) {
    if (options.issuer.length === 0) throw new TypeError('JwtVerifier: issuer is required');
    if (options.audiences.length === 0) throw new TypeError('JwtVerifier: at least one audience is required');
    if (options.algorithms.length === 0)
      throw new TypeError('JwtVerifier: at least one algorithm is required');
    if (options.algorithms.includes('HS256') && (options.hmacSecret?.byteLength ?? 0) < 32) {
      throw new TypeError('JwtVerifier: HS256 requires an HMAC secret of at least 32 bytes');
    }
    this.options = { clockToleranceSeconds: 30, maxTokenBytes: 8192, ...options };
    // HMAC is only ever enabled by both switches: listed and keyed.
    this.allowed = new Set(
      options.algorithms.filter((alg) => alg !== 'HS256' || options.hmacSecret !== undefined),
    );
  }

  /**
   * Verifies `rawToken` at `nowMs` (the gateway's request time).
   * @throws {AuthenticationError} with the contract's failure reason.
   */
  async verify(rawToken: string, nowMs: number): Promise<Identity> {
    // 1. Size before anything else: the cap bounds every later step's work.
    if (
      rawToken.length > this.options.maxTokenBytes ||
      Buffer.byteLength(rawToken) > this.options.maxTokenBytes
    ) {
      fail('token-too-large', `token longer than ${this.options.maxTokenBytes} bytes`);
    }
    // 2. Structure.
    const segments = rawToken.split('.');
    if (segments.length !== 3) fail('malformed-token', `expected 3 segments, got ${segments.length}`);
    const [headerSegment, payloadSegment, signatureSegment] = segments as [string, string, string];
    const header = this.decodeObject(headerSegment, 'header');
    const payload = this.decodeObject(payloadSegment, 'payload');
    let signature: Buffer;
    try {
      signature = decodeBase64urlStrict(signatureSegment);
    } catch (error) {
      return fail('malformed-token', `signature: ${(error as Error).message}`);
    }

    // 3. Algorithm.
    const alg = ownMember(header, 'alg');
    if (typeof alg !== 'string') return fail('malformed-token', 'alg missing');
    if (alg.trim().toLowerCase() === 'none') fail('algorithm-not-allowed', 'alg none');
    if (!this.allowed.has(alg))
      fail('algorithm-not-allowed', `alg ${JSON.stringify(alg.slice(0, 16))} not allowed`);

    // 4. Header parameters that must never steer verification.
    for (const name of KEY_CHOOSING_HEADERS) {
      if (Object.hasOwn(header, name)) fail('header-not-allowed', `header ${name} not accepted`);
    }
    if (Object.hasOwn(header, 'crit')) fail('header-not-allowed', 'crit: no extension is supported');
    if (Object.hasOwn(header, 'b64')) fail('header-not-allowed', 'b64 not accepted');
    const kid = ownMember(header, 'kid');
    if (kid !== undefined && (typeof kid !== 'string' || !KID_PATTERN.test(kid))) {
      fail('malformed-token', 'kid must be 1..256 printable ASCII characters');
    }
    if (!isJsonObject(payload)) return fail('malformed-token', 'payload is not an object');

    // 6 (cheap part). Checked after the header so `alg: none` tokens (empty signature) report the alg.
    if (signature.length === 0) fail('invalid-signature', 'empty signature');
    // ECDSA signatures have a fixed size; r = 0 or s = 0 is never valid.
    const ecdsaLength = ECDSA_SIGNATURE_BYTES[alg];
    if (ecdsaLength !== undefined) {
      if (signature.length !== ecdsaLength) fail('invalid-signature', 'ECDSA signature of the wrong length');
      const half = ecdsaLength / 2;
      const isZero = (part: Buffer): boolean => part.every((byte) => byte === 0);
      if (isZero(signature.subarray(0, half)) || isZero(signature.subarray(half))) {
        fail('invalid-signature', 'ECDSA signature with r or s = 0');
      }
    }

    // 5 + 6. Key and signature.
    const key =
      alg === 'HS256' ? this.options.hmacSecret! : await this.selectKey(alg, kid as string | undefined);
    try {
      await compactVerify(rawToken, key, { algorithms: [alg] });
    } catch (error) {
      if (error instanceof joseErrors.JWSSignatureVerificationFailed)
        fail('invalid-signature', 'bad signature', error);
      if (error instanceof joseErrors.JOSEAlgNotAllowed)
        fail('algorithm-not-allowed', 'alg refused by jose', error);
      if (error instanceof TypeError) fail('unknown-key', `key refused: ${error.message}`, error);
      fail('malformed-token', `jose: ${(error as Error).message}`, error);
    }

    // 7. Claims, read from our own duplicate-free parse.
    return this.checkClaims(payload, rawToken, nowMs);
  }

  private decodeObject(segment: string, what: string): JsonObject {
    let value: JsonValue;
    try {
      value = decodeJsonSegment(segment);
    } catch (error) {
      return fail('malformed-token', `${what}: ${(error as Error).message}`);
    }
    if (!isJsonObject(value)) return fail('malformed-token', `${what} is not a JSON object`);
    return value;
  }

  private async selectKey(alg: string, kid: string | undefined): Promise<CryptoKey> {
    const load = async (): Promise<readonly PublicJwk[]> => {
      try {
        return await this.options.keys.getKeys();
      } catch (error) {
        if (isJwksFetchError(error)) return fail('jwks-unavailable', error.message, error);
        throw error;
      }
    };
    let keys = await load();
    let chosen: PublicJwk | undefined;
    if (kid === undefined) {
      // Without kid the choice is only unambiguous for a single-key set.
      if (keys.length > 1) fail('unknown-key', `kid required: the key set has ${keys.length} keys`);
      chosen = keys[0];
      if (chosen === undefined) fail('unknown-key', 'the key set has no usable key');
    } else {
      chosen = keys.find((jwk) => jwk.kid === kid);
      if (chosen === undefined && (await this.options.keys.refreshForUnknownKid())) {
        keys = await load();
        chosen = keys.find((jwk) => jwk.kid === kid);
      }
      if (chosen === undefined) fail('unknown-key', 'kid not in the key set');
    }
    if (!keyFits(chosen!, alg)) fail('unknown-key', `key does not fit alg ${alg}`);
    try {
      return await this.options.keys.cryptoKey(chosen!, alg);
    } catch (error) {
      return fail('unknown-key', `key import failed: ${(error as Error).message}`, error);
    }
  }

  private checkClaims(claims: JsonObject, rawToken: string, nowMs: number): Identity {
    const now = nowMs / 1000;
    const tolerance = this.options.clockToleranceSeconds;
    const numeric = (name: string): number | undefined => {
      const value = ownMember(claims, name);
      if (value === undefined) return undefined;
      if (typeof value !== 'number' || !Number.isFinite(value))
        fail('claims-invalid', `${name} is not a number`);
      return value as number;
    };

    const exp = numeric('exp');
    if (exp === undefined) return fail('claims-invalid', 'exp required');
    if (exp + tolerance <= now) fail('expired', 'token expired');
    const nbf = numeric('nbf');
    if (nbf !== undefined && nbf > now + tolerance) fail('not-yet-valid', 'nbf in the future');
    const iat = numeric('iat');
    if (iat !== undefined && iat > now + tolerance) fail('not-yet-valid', 'iat in the future');
    const maxAge = this.options.maxTokenAgeSeconds;
    if (maxAge !== undefined) {
      if (iat === undefined) fail('claims-invalid', 'iat required when a maximum age is set');
      if (now - iat! > maxAge + tolerance) fail('too-old', 'token older than the maximum age');
    }

    if (ownMember(claims, 'iss') !== this.options.issuer) fail('claims-invalid', 'issuer not accepted');
    const aud = ownMember(claims, 'aud');
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!audiences.every((value) => typeof value === 'string')) fail('claims-invalid', 'aud is not strings');
    if (!audiences.some((value) => this.options.audiences.includes(value as string))) {
      fail('claims-invalid', 'audience not accepted');
    }
    const sub = ownMember(claims, 'sub');
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) {
      return fail('claims-invalid', 'sub required (1..256 characters)');
    }

    const scope = ownMember(claims, 'scope');
    const scp = ownMember(claims, 'scp');
    const scopes =
      typeof scope === 'string'
        ? scope
        : typeof scp === 'string'
          ? scp
          : Array.isArray(scp)
            ? scp.filter((value): value is string => typeof value === 'string').join(' ')
            : '';
    const clientId = ['client_id', 'azp', 'cid']
      .map((name) => ownMember(claims, name))
      .find((value): value is string => typeof value === 'string');

    return {
      subject: sub,
      tokenHash: tokenHash(rawToken),
      scope: scopes,
      clientId,
      issuedAt: iat,
      expiresAt: exp,
    };
  }
}
