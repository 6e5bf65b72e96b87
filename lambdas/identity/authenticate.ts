import type { AuthorizerRequest, AuthResult } from '../authorizer/types';
import { isAuthenticationError } from './errors';
import type { JwtVerifier } from './jwt-verifier';
import { checkClientCertificate, type MtlsOptions } from './mtls';
import { findPrimitiveAuth } from './primitive-auth';

/** What {@link createAuthenticator} needs. */
export interface AuthenticatorDeps {
  readonly verifier: Pick<JwtVerifier, 'verify'>;
  readonly mtls: MtlsOptions;
  /** Lower-cased credential parameter names (`PRIMITIVE_AUTH_QUERY_PARAMS`). */
  readonly primitiveAuthQueryParams: readonly string[];
}

/** Turns a normalised request into an {@link AuthResult}. Never throws. */
export type Authenticate = (request: AuthorizerRequest) => Promise<AuthResult>;

/**
 * Builds the identity layer's entry point. Order: primitive credentials (refused even beside a valid token), the
 * client certificate, then the bearer token. A request with no credentials at all is `anonymous` (the decider
 * decides whether the route is public); one with an Authorization header that is not a single bearer token fails.
 */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticate {
  return async (request) => {
    try {
      const primitive = findPrimitiveAuth(request.headers, request.query, deps.primitiveAuthQueryParams);
      if (primitive !== undefined) {
        return {
          status: 'failed',
          reason: 'primitive-auth',
          detail:
            primitive.kind === 'basic-authorization'
              ? 'Authorization: Basic'
              : `query parameter ${primitive.parameter}`,
        };
      }
      const certProblem = checkClientCertificate(request.clientCert, request.timeMs, deps.mtls);
      if (certProblem !== undefined) return { status: 'failed', reason: 'mtls-invalid', detail: certProblem };
      if (request.rawToken === undefined) {
        const authorization = Object.hasOwn(request.headers, 'authorization')
          ? request.headers.authorization
          : undefined;
        if (authorization !== undefined && authorization.trim() !== '') {
          return {
            status: 'failed',
            reason: 'malformed-token',
            detail: 'Authorization is not a single bearer token',
          };
        }
        return { status: 'anonymous' };
      }
      const identity = await deps.verifier.verify(request.rawToken, request.timeMs);
      return { status: 'authenticated', identity };
    } catch (error) {
      if (isAuthenticationError(error))
        return { status: 'failed', reason: error.reason, detail: error.message };
      return {
        status: 'failed',
        reason: 'malformed-token',
        detail: `unexpected verifier error: ${error instanceof Error ? error.name : typeof error}`,
      };
    }
  };
}
