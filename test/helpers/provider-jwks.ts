import { execFileSync } from 'node:child_process';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Identity-provider stand-ins for tests: RSA keys generated per run, JWKS documents shaped like each provider's
 * (the members they publish, `x5c` certificates where they publish them, Keycloak's encryption key beside the
 * signing one), served from 127.0.0.1, and RS256 tokens signed with those keys. Nothing leaves the machine.
 */

/** A generated RSA signing key with its public JWK members. */
export interface RsaKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly n: string;
  readonly e: string;
  /** Base64 DER of a self-signed certificate of this key, for providers that publish `x5c`. */
  readonly x5c?: string;
  /** Base64url SHA-1 / SHA-256 thumbprints of that certificate. */
  readonly x5t?: string;
  readonly x5tS256?: string;
}

function publicMembers(privateKey: KeyObject): { n: string; e: string } {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { n: String(jwk.n), e: String(jwk.e) };
}

/** A fresh 2048-bit RSA key without a certificate. */
export function rsaKey(kid: string): RsaKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, ...publicMembers(privateKey) };
}

/**
 * A fresh 2048-bit RSA key with a real self-signed certificate (OpenSSL), so `x5c`, `x5t` and `x5t#S256` in the
 * published JWK describe the very key that signs, as Auth0, Entra and Keycloak publish them.
 */
export function certifiedRsaKey(kid: string, commonName: string): RsaKey {
  const dir = mkdtempSync(join(tmpdir(), 'gw-idp-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '2',
        '-subj',
        `/CN=${commonName}`,
      ],
      { stdio: 'ignore' },
    );
    const privateKey = createPrivateKey(readFileSync(keyPath));
    const pem = readFileSync(certPath, 'utf8');
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return {
      kid,
      privateKey,
      ...publicMembers(privateKey),
      x5c: der.toString('base64'),
      x5t: createHash('sha1').update(der).digest('base64url'),
      x5tS256: createHash('sha256').update(der).digest('base64url'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Signs an RS256 compact JWS with exactly the given header and payload members. */
export function signRs256(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  key: RsaKey,
): string {
  const encode = (part: object): string => Buffer.from(JSON.stringify(part)).toString('base64url');
  const input = `${encode({ alg: 'RS256', ...header })}.${encode(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** A loopback server answering each registered path with its JSON document. */
export interface JwksServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Serves `document` at `path` from now on. */
  serve(path: string, document: unknown): string;
  /** Requests received per path. */
  readonly fetches: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export async function startJwksServer(): Promise<JwksServer> {
  const documents = new Map<string, string>();
  const fetches = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    fetches.set(path, (fetches.get(path) ?? 0) + 1);
    request.resume();
    const body = documents.get(path);
    if (body === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  return {
    origin,
    fetches,
    serve(path, document) {
      documents.set(path, JSON.stringify(document));
      return `${origin}${path}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
