/**
 * The contract between the authorizer entry points, the identity layer and the risk engine.
 * Plain types only: the REST and HTTP handlers normalise their events into {@link AuthorizerRequest},
 * the identity layer produces an {@link AuthResult}, and a {@link Decider} turns both into a {@link Decision}
 * that the handler maps back to the API Gateway response format.
 */

/** Which API Gateway event the request came from. */
export type EventKind = 'rest-request' | 'rest-token' | 'http-v2';

/** Client certificate presented over mutual TLS, as API Gateway reports it. */
export interface ClientCertificate {
  readonly subjectDN: string;
  readonly issuerDN: string;
  readonly serialNumber: string;
  /** Epoch milliseconds, NaN when unparseable. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** An authorizer event, normalised. Header names are lower-cased; multi-valued headers joined with ", ". */
export interface AuthorizerRequest {
  readonly kind: EventKind;
  /** REST `methodArn` or HTTP API `routeArn`; the resource an IAM policy must name. */
  readonly methodArn: string;
  /** Upper-case HTTP method; empty for TOKEN events. */
  readonly method: string;
  /**
   * The route template the policy matches: `"<METHOD> <resource>"` for REST (e.g. `GET /pets/{id}`),
   * the `routeKey` for HTTP APIs (e.g. `GET /pets/{id}`, `$default`); empty for TOKEN events.
   */
  readonly route: string;
  /** Raw request path (no stage prefix for HTTP APIs). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** Path parameters by name, e.g. `{ id: '42' }`. */
  readonly pathParameters: Readonly<Record<string, string>>;
  /** Client IP per TRUSTED_PROXY_COUNT; undefined for TOKEN events or when none is usable. */
  readonly clientIp: string | undefined;
  /** The gateway's request time (event `requestTimeEpoch` / `timeEpoch`), falling back to the clock. Epoch ms. */
  readonly timeMs: number;
  readonly requestId: string;
  readonly userAgent: string;
  readonly clientCert: ClientCertificate | undefined;
  /** The bearer token as presented (never log it; use its hash). */
  readonly rawToken: string | undefined;
  /**
   * Set only by replay, whose requests are rebuilt from access logs: the header names the log recorded (at most the
   * user agent). Fingerprints that need other headers are not judged on such a request. Undefined: a live request.
   */
  readonly recordedHeaders?: readonly string[];
}

/** A verified caller. */
export interface Identity {
  readonly subject: string;
  /** First 16 hex characters of SHA-256 of the raw token. */
  readonly tokenHash: string;
  /** Space-separated scopes (`scope` or `scp` claim), empty when none. */
  readonly scope: string;
  /** OAuth client id (`client_id`, `azp`, `cid` or `appid` claim) when present. */
  readonly clientId: string | undefined;
  /** The token's `iss` (one of the configured issuers). @default the configured issuer */
  readonly issuer?: string;
  /** Groups or roles (`JWT_GROUPS_CLAIM`, else the first present of the default claims), at most 1000. */
  readonly groups?: readonly string[];
  /** Every verified claim, for route authorization (`require.owner.claim`). Never logged. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Token `iat` and `exp`, epoch seconds. */
  readonly issuedAt: number | undefined;
  readonly expiresAt: number;
}

/** Why authentication failed; logged, never shown to the caller. */
export type AuthFailureReason =
  | 'missing-credentials'
  | 'primitive-auth'
  | 'malformed-token'
  | 'token-too-large'
  | 'algorithm-not-allowed'
  | 'invalid-signature'
  | 'unknown-key'
  | 'expired'
  | 'not-yet-valid'
  | 'too-old'
  | 'claims-invalid'
  /** A Cognito `token_use` (or RFC 9068 `typ: at+jwt`) other than `JWT_TOKEN_USE`. */
  | 'wrong-token-use'
  | 'header-not-allowed'
  | 'jwks-unavailable'
  | 'mtls-invalid';

export type AuthResult =
  | { readonly status: 'authenticated'; readonly identity: Identity }
  /** No credentials at all: allowed only on public routes. */
  | { readonly status: 'anonymous' }
  | { readonly status: 'failed'; readonly reason: AuthFailureReason; readonly detail: string };

/** The authorizer's answer before it is mapped to the event format. */
export type Decision =
  | {
      readonly effect: 'allow';
      /** principalId: the subject, or `anonymous` on public routes. */
      readonly principalId: string;
      readonly context: Readonly<Record<string, string | number | boolean>>;
    }
  | {
      /** 403 (REST Deny policy / HTTP `isAuthorized: false`). */
      readonly effect: 'deny';
      readonly principalId: string;
      readonly context: Readonly<Record<string, string | number | boolean>>;
      /** Set when route authorization (`require`) refused a valid token; logged, never sent to the caller. */
      readonly authzFailure?: 'insufficient-scope' | 'not-in-group' | 'not-owner';
    }
  /** 401: the handler throws exactly `Unauthorized`. */
  | { readonly effect: 'unauthorized' };

/** Turns an authenticated (or not) request into a decision. The risk engine implements this. */
export interface Decider {
  decide(request: AuthorizerRequest, auth: AuthResult): Promise<Decision>;
}
