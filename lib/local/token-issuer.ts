import { createHmac, constants as cryptoConstants, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * A local OAuth-style token issuer for tests, the demo and benchmarks: real key pairs, real signatures, and a real
 * JWKS served over HTTP on 127.0.0.1 with failure knobs. Nothing leaves the machine.
 *
 * @example
 * ```ts
 * const issuer = await startTokenIssuer();
 * process.env = { ...process.env, ...issuer.env() };   // JWT_ISSUER, JWKS_URI, JWT_AUDIENCE
 * const token = await issuer.sign({ sub: 'alice', scope: 'orders:read' });
 * issuer.knobs.down = true;                              // the JWKS endpoint now answers 503
 * await issuer.close();
 * ```
 */

/** Algorithms the issuer can sign with. */
export type IssuerAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** One signing key of the issuer. */
export interface IssuerKey {
  readonly kid: string;
  readonly alg: IssuerAlgorithm;
  readonly privateKey: KeyObject;
  /** The public JWK as published (with `kid`, `alg`, `use: 'sig'`). */
  readonly publicJwk: JWK;
  /** PEM of the public key (SPKI), e.g. to attempt HS/RS key confusion. */
  readonly publicPem: string;
  /** Whether the JWKS lists it; an unpublished key signs tokens with an unknown `kid`. */
  published: boolean;
}

/** Failure knobs of the JWKS endpoint; change them at any time. */
export interface JwksKnobs {
  /** Answer 503. @default false */
  down: boolean;
  /** Wait this long before answering. @default 0 */
  delayMs: number;
  /** Answer 200 with a body that is not JSON. @default false */
  garbage: boolean;
  /** Pad the (valid JSON) body to at least this many bytes; 0 disables. @default 0 */
  oversizedBytes: number;
  /** Publish this many extra, unrelated EC keys. @default 0 */
  extraKeys: number;
}

/** Options of {@link startTokenIssuer}. */
export interface TokenIssuerOptions {
  /** @default 'https://issuer.gatewarden.test' */
  readonly issuer?: string;
  /** @default 'gatewarden-api' */
  readonly audience?: string;
  /** Keys created at start. @default [{ kid: 'rs-1', alg: 'RS256' }, { kid: 'es-1', alg: 'ES256' }] */
  readonly keys?: readonly { readonly kid: string; readonly alg: IssuerAlgorithm }[];
}

/** Options of {@link TokenIssuer.sign}. */
export interface SignOptions {
  /** Which key signs. @default the first key */
  readonly kid?: string;
  /** Leave `kid` out of the header. @default false */
  readonly omitKid?: boolean;
  /** Extra or overriding header members (e.g. `{ typ: 'at+jwt' }`). */
  readonly header?: Readonly<Record<string, unknown>>;
  /** Baseline for the default `iat`/`exp`, epoch seconds. @default now */
  readonly at?: number;
}

/** A running issuer. */
export interface TokenIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** `http://127.0.0.1:<port>/.well-known/jwks.json` */
  readonly jwksUri: string;
  readonly knobs: JwksKnobs;
  /** Requests the JWKS endpoint has received. */
  readonly fetchCount: number;
  readonly keys: readonly IssuerKey[];
  /** The environment an authorizer needs to trust this issuer. */
  env(): Record<'JWT_ISSUER' | 'JWKS_URI' | 'JWT_AUDIENCE', string>;
  /** Adds a key; `modulusLength` below 2048 makes a weak RSA key (generated with node:crypto). */
  addKey(options: {
    kid: string;
    alg: IssuerAlgorithm;
    modulusLength?: number;
    published?: boolean;
  }): Promise<IssuerKey>;
  key(kid: string): IssuerKey;
  /**
   * Signs a token. Defaults: `iss`, `aud`, `sub: 'user-1'`, `scope: 'read'`, `iat` = now, `exp` = now + 300;
   * a claim given as `undefined` is removed. Header: `alg`, `typ: 'JWT'`, `kid`, then `options.header`.
   */
  sign(claims?: Readonly<Record<string, unknown>>, options?: SignOptions): Promise<string>;
  /**
   * Signs arbitrary segments with no checks at all (hostile tokens): `header` and `payload` as objects (JSON
   * encoded) or as exact JSON text; the key is an issuer key (its `alg` decides the scheme) or HMAC-SHA256 bytes.
   */
  signRaw(header: object | string, payload: object | string, key: IssuerKey | Uint8Array): string;
  close(): Promise<void>;
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

function signBytes(key: IssuerKey | Uint8Array, data: Buffer): Buffer {
  if (key instanceof Uint8Array) return createHmac('sha256', key).update(data).digest();
  switch (key.alg) {
    case 'RS256':
      return sign('sha256', data, key.privateKey);
    case 'PS256':
      return sign('sha256', data, {
        key: key.privateKey,
        padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
    case 'ES256':
      return sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, data, key.privateKey);
  }
}

async function createKey(kid: string, alg: IssuerAlgorithm, modulusLength?: number): Promise<IssuerKey> {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  if (modulusLength !== undefined && modulusLength < 2048) {
    // jose refuses to generate weak RSA keys, which is the point; node:crypto still can.
    ({ privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength }));
  } else {
    const pair = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, {
      extractable: true,
      ...(modulusLength === undefined ? {} : { modulusLength }),
    });
    privateKey = KeyObject.from(pair.privateKey);
    publicKey = KeyObject.from(pair.publicKey);
  }
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return {
    kid,
    alg,
    privateKey,
    publicJwk,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    published: true,
  };
}

/** Starts an issuer whose JWKS listens on 127.0.0.1 (a free port). */
export async function startTokenIssuer(options: TokenIssuerOptions = {}): Promise<TokenIssuer> {
  const issuer = options.issuer ?? 'https://issuer.gatewarden.test';
  const audience = options.audience ?? 'gatewarden-api';
  const keys: IssuerKey[] = [];
  for (const spec of options.keys ?? [
    { kid: 'rs-1', alg: 'RS256' as const },
    { kid: 'es-1', alg: 'ES256' as const },
  ]) {
    keys.push(await createKey(spec.kid, spec.alg));
  }
  const knobs: JwksKnobs = { down: false, delayMs: 0, garbage: false, oversizedBytes: 0, extraKeys: 0 };
  const extraKeys: JWK[] = [];
  let fetchCount = 0;

  const body = async (): Promise<string> => {
    while (extraKeys.length < knobs.extraKeys) {
      const extra = await createKey(`extra-${extraKeys.length + 1}`, 'ES256');
      extraKeys.push(extra.publicJwk);
    }
    const document: Record<string, unknown> = {
      keys: [
        ...keys.filter((key) => key.published).map((key) => key.publicJwk),
        ...extraKeys.slice(0, knobs.extraKeys),
      ],
    };
    const json = JSON.stringify(document);
    if (knobs.oversizedBytes > json.length) document.padding = 'x'.repeat(knobs.oversizedBytes - json.length);
    return JSON.stringify(document);
  };

  const server: Server = createServer((request, response) => {
    fetchCount += 1;
    const respond = async (): Promise<void> => {
      if (knobs.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, knobs.delayMs));
      if (response.destroyed) return;
      if (knobs.down) {
        response.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      }
      if (knobs.garbage) {
        response.writeHead(200, { 'content-type': 'application/json' }).end('<html>this is not json{');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(await body());
    };
    request.resume();
    respond().catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const jwksUri = `http://127.0.0.1:${port}/.well-known/jwks.json`;

  const api: TokenIssuer = {
    issuer,
    audience,
    jwksUri,
    knobs,
    get fetchCount() {
      return fetchCount;
    },
    keys,
    env: () => ({ JWT_ISSUER: issuer, JWKS_URI: jwksUri, JWT_AUDIENCE: audience }),
    async addKey({ kid, alg, modulusLength, published = true }) {
      const key = await createKey(kid, alg, modulusLength);
      key.published = published;
      keys.push(key);
      return key;
    },
    key(kid) {
      const found = keys.find((key) => key.kid === kid);
      if (found === undefined) throw new Error(`token issuer: no key ${kid}`);
      return found;
    },
    async sign(claims = {}, signOptions = {}) {
      const key = signOptions.kid === undefined ? keys[0]! : api.key(signOptions.kid);
      const at = signOptions.at ?? Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: issuer,
        aud: audience,
        sub: 'user-1',
        scope: 'read',
        iat: at,
        exp: at + 300,
        ...claims,
      };
      for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
      const header: Record<string, unknown> = { alg: key.alg, typ: 'JWT' };
      if (!signOptions.omitKid) header.kid = key.kid;
      return api.signRaw({ ...header, ...signOptions.header }, payload, key);
    },
    signRaw(header, payload, key) {
      const encode = (part: object | string): string =>
        b64url(typeof part === 'string' ? part : JSON.stringify(part));
      const input = `${encode(header)}.${encode(payload)}`;
      return `${input}.${b64url(signBytes(key, Buffer.from(input)))}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}
