import { type CryptoKey, compactVerify, errors as joseErrors } from 'jose';
import type { AuthFailureReason, Identity } from '../authorizer/types';
import { tokenHash } from '../shared/token-hash';
import { DEFAULT_GROUPS_CLAIMS, DEFAULT_MAX_TOKEN_BYTES, type JwtAlgorithm, type TokenUse } from './config';
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

/** One accepted issuer: its exact `iss`, its own key set and its audience, client and token-use rules. */
export interface IssuerPolicy {
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** @default [] (any client; then `audiences` must not be empty) */
  readonly clientIds?: readonly string[];
  /** @default 'access' */
  readonly tokenUse?: TokenUse;
  readonly keys: KeySource;
}

/** Options of {@link JwtVerifier}; the handler fills them from {@link IdentityConfig}. */
export interface JwtVerifierOptions {
  /** The single issuer (with `audiences` and `keys`), unless `issuers` is given. */
  readonly issuer?: string;
  readonly audiences?: readonly string[];
  readonly keys?: KeySource;
  /** @default [] */
  readonly clientIds?: readonly string[];
  /** @default 'access' */
  readonly tokenUse?: TokenUse;
  /** Several issuers, each with its own keys; the token's `iss` picks one (exact match). */
  readonly issuers?: readonly IssuerPolicy[];
  /** Claim name or dotted path of groups/roles. @default the first present of {@link DEFAULT_GROUPS_CLAIMS} */
  readonly groupsClaim?: string | undefined;
  readonly algorithms: readonly JwtAlgorithm[];
  /** HS256 key; HS256 must also be in `algorithms`. @default undefined (no HMAC) */
  readonly hmacSecret?: Uint8Array | undefined;
  /** @default undefined (no limit) */
  readonly maxTokenAgeSeconds?: number | undefined;
  /** @default 30 */
  readonly clockToleranceSeconds?: number;
  /** @default 10240 */
  readonly maxTokenBytes?: number;
}

/** The claims that name the OAuth client, by provider: Cognito/Okta custom AS, OIDC, Okta, Entra v1. */
const CLIENT_ID_CLAIMS = ['client_id', 'azp', 'cid', 'appid'] as const;
const MAX_GROUPS = 1000;

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
 *    `iss` exact (it also picked the issuer entry and its keys); token use (`token_use`, `typ: at+jwt`, Keycloak
 *    `typ`) as configured; `aud` must contain a configured audience, or be absent with a listed `client_id`; the
 *    client (`client_id`/`azp`/`cid`/`appid`) in the list when one is set; `sub` required.
 */
export class JwtVerifier {
  private readonly options: {
    readonly algorithms: readonly JwtAlgorithm[];
    readonly hmacSecret: Uint8Array | undefined;
    readonly maxTokenAgeSeconds: number | undefined;
    readonly clockToleranceSeconds: number;
    readonly maxTokenBytes: number;
    readonly groupsClaim: string | undefined;
  };
  private readonly allowed: ReadonlySet<string>;
  private readonly issuers: ReadonlyMap<string, Required<IssuerPolicy>>;

  constructor(options: JwtVerifierOptions) {
    const entries: readonly IssuerPolicy[] = options.issuers ?? [
      {
        issuer: options.issuer ?? '',
        audiences: options.audiences ?? [],
        clientIds: options.clientIds ?? [],
        tokenUse: options.tokenUse ?? 'access',
        keys: options.keys as KeySource,
      },
    ];
    if (entries.length === 0) throw new TypeError('JwtVerifier: at least one issuer is required');
    const issuers = new Map<string, Required<IssuerPolicy>>();
    for (const entry of entries) {
      if (entry.issuer.length === 0) throw new TypeError('JwtVerifier: issuer is required');
      if (entry.keys === undefined) throw new TypeError(`JwtVerifier: no key source for ${entry.issuer}`);
      if (entry.audiences.length === 0 && (entry.clientIds?.length ?? 0) === 0)
        throw new TypeError('JwtVerifier: at least one audience (or client id) is required');
      issuers.set(entry.issuer, { clientIds: [], tokenUse: 'access', ...entry });
    }
    this.issuers = issuers;
    if (options.algorithms.length === 0)
      throw new TypeError('JwtVerifier: at least one algorithm is required');
    if (options.algorithms.includes('HS256') && (options.hmacSecret?.byteLength ?? 0) < 32) {
      throw new TypeError('JwtVerifier: HS256 requires an HMAC secret of at least 32 bytes');
    }
    this.options = {
      algorithms: options.algorithms,
      hmacSecret: options.hmacSecret,
      maxTokenAgeSeconds: options.maxTokenAgeSeconds,
      clockToleranceSeconds: options.clockToleranceSeconds ?? 30,
      maxTokenBytes: options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES,
      groupsClaim: options.groupsClaim,
    };
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
    // The unverified `iss` only picks whose keys to try; the signature then proves it. An unknown issuer costs no
    // key fetch. With a single issuer, its keys are tried and the claim check below reports a mismatch.
    const claimedIssuer = ownMember(payload, 'iss');
    const entry =
      (typeof claimedIssuer === 'string' ? this.issuers.get(claimedIssuer) : undefined) ??
      (this.issuers.size === 1 ? [...this.issuers.values()][0]! : undefined);
    if (entry === undefined) return fail('claims-invalid', 'issuer not accepted');

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
      alg === 'HS256'
        ? this.options.hmacSecret!
        : await this.selectKey(entry.keys, alg, kid as string | undefined);
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
    return this.checkClaims(payload, header, entry, rawToken, nowMs);
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

  private async selectKey(source: KeySource, alg: string, kid: string | undefined): Promise<CryptoKey> {
    const load = async (): Promise<readonly PublicJwk[]> => {
      try {
        return await source.getKeys();
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
      if (chosen === undefined && (await source.refreshForUnknownKid())) {
        keys = await load();
        chosen = keys.find((jwk) => jwk.kid === kid);
      }
      if (chosen === undefined) fail('unknown-key', 'kid not in the key set');
    }
    if (!keyFits(chosen!, alg)) fail('unknown-key', `key does not fit alg ${alg}`);
    try {
      return await source.cryptoKey(chosen!, alg);
    } catch (error) {
      return fail('unknown-key', `key import failed: ${(error as Error).message}`, error);
    }
  }

  private checkClaims(
    claims: JsonObject,
    header: JsonObject,
    entry: Required<IssuerPolicy>,
    rawToken: string,
    nowMs: number,
  ): Identity {
    const { exp, iat } = this.checkTimes(claims, nowMs);
    if (ownMember(claims, 'iss') !== entry.issuer) fail('claims-invalid', 'issuer not accepted');
    const problem = tokenUseProblem(header, claims, entry.tokenUse);
    if (problem !== undefined) fail('wrong-token-use', problem);
    const clientId = clientIdOf(claims);
    checkAudienceAndClient(claims, clientId, entry);
    const sub = ownMember(claims, 'sub');
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) {
      return fail('claims-invalid', 'sub required (1..256 characters)');
    }
    return {
      subject: sub,
      tokenHash: tokenHash(rawToken),
      scope: scopesOf(claims),
      clientId,
      issuer: entry.issuer,
      groups: groupsOf(claims, this.options.groupsClaim),
      claims,
      issuedAt: iat,
      expiresAt: exp,
    };
  }

  /** `exp` required and in the future, `nbf`/`iat` not in the future, optional maximum age from `iat`. */
  private checkTimes(claims: JsonObject, nowMs: number): { exp: number; iat: number | undefined } {
    const now = nowMs / 1000;
    const tolerance = this.options.clockToleranceSeconds;
    const numeric = (name: string): number | undefined => {
      const value = ownMember(claims, name);
      if (value === undefined) return undefined;
      if (typeof value !== 'number' || !Number.isFinite(value))
        fail('claims-invalid', `${name} is not a number`);
      return value as number;
    };
    // aws-jwt-verify accepts a token without `exp`; a bearer token that never expires is refused here.
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
    return { exp, iat };
  }
}

/**
 * What kind of token this is, from what the issuer says: Cognito's `token_use`, RFC 9068's header
 * `typ: at+jwt` (Auth0, Okta and others can issue it), Keycloak's `typ` claim (`Bearer` / `ID`). Undefined when the
 * token does not say (Okta, Entra, Google): then only the audience rules tell ID and access tokens apart.
 */
export function tokenKind(header: JsonObject, claims: JsonObject): 'access' | 'id' | 'conflict' | undefined {
  const typ = ownMember(header, 'typ');
  const isAtJwt = typeof typ === 'string' && /^(application\/)?at\+jwt$/i.test(typ);
  const use = ownMember(claims, 'token_use');
  if (use !== undefined) {
    const kind = use === 'access' ? 'access' : use === 'id' ? 'id' : 'conflict';
    return isAtJwt && kind !== 'access' ? 'conflict' : kind;
  }
  if (isAtJwt) return 'access';
  const keycloakTyp = ownMember(claims, 'typ');
  if (keycloakTyp === 'Bearer') return 'access';
  if (keycloakTyp === 'ID') return 'id';
  return undefined;
}

function tokenUseProblem(header: JsonObject, claims: JsonObject, wanted: TokenUse): string | undefined {
  const kind = tokenKind(header, claims);
  if (kind === 'conflict') return 'token_use and typ disagree or token_use is unknown';
  if (wanted === 'any' || kind === undefined || kind === wanted) return undefined;
  return `${kind} token where ${wanted} tokens are expected`;
}

/**
 * Audience: a present `aud` must contain one of the issuer's audiences (its client ids when it has none: an ID
 * token's audience is the client). A token without `aud` (Cognito access tokens) passes only by its client id.
 * Client: with client ids configured, the token's client (`client_id`/`azp`/`cid`/`appid`, else a single `aud`) must
 * be one of them.
 */
function checkAudienceAndClient(
  claims: JsonObject,
  clientId: string | undefined,
  entry: Required<IssuerPolicy>,
): void {
  const aud = ownMember(claims, 'aud');
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.every((value) => typeof value === 'string')) fail('claims-invalid', 'aud is not strings');
  if (aud !== undefined) {
    const accepted = entry.audiences.length > 0 ? entry.audiences : entry.clientIds;
    if (!audiences.some((value) => accepted.includes(value as string))) {
      fail('claims-invalid', 'audience not accepted');
    }
  } else if (clientId === undefined || !entry.clientIds.includes(clientId)) {
    fail('claims-invalid', 'audience not accepted');
  }
  if (entry.clientIds.length > 0) {
    const client = clientId ?? (audiences.length === 1 ? (audiences[0] as string) : undefined);
    if (client === undefined || !entry.clientIds.includes(client))
      fail('claims-invalid', 'client not accepted');
  }
}

/** The OAuth client: the first present of `client_id`, `azp`, `cid`, `appid`. */
export function clientIdOf(claims: JsonObject): string | undefined {
  return CLIENT_ID_CLAIMS.map((name) => ownMember(claims, name)).find(
    (value): value is string => typeof value === 'string' && value.length > 0,
  );
}

/** Space-separated scopes from `scope` (string) or `scp` (Entra: string; Okta: array). */
export function scopesOf(claims: JsonObject): string {
  const scope = ownMember(claims, 'scope');
  const scp = ownMember(claims, 'scp');
  if (typeof scope === 'string') return scope;
  if (typeof scp === 'string') return scp;
  if (Array.isArray(scp)) return scp.filter((value): value is string => typeof value === 'string').join(' ');
  return '';
}

/** Reads a claim by name, or by dotted path when no claim has that exact name (`realm_access.roles`). */
function claimAt(claims: JsonObject, path: string): JsonValue | undefined {
  const direct = ownMember(claims, path);
  if (direct !== undefined || !path.includes('.')) return direct;
  let current: JsonValue | undefined = claims;
  for (const part of path.split('.')) {
    current = isJsonObject(current) ? ownMember(current, part) : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

/** Groups or roles: the configured claim, else the first present default claim; strings only, bounded. */
export function groupsOf(claims: JsonObject, configured: string | undefined): string[] {
  const paths = configured !== undefined ? [configured] : DEFAULT_GROUPS_CLAIMS;
  for (const path of paths) {
    const value = claimAt(claims, path);
    if (value === undefined) continue;
    const list = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value : [];
    return list
      .filter((item): item is string => typeof item === 'string' && item.length > 0 && item.length <= 256)
      .slice(0, MAX_GROUPS);
  }
  return [];
}
