import type { AuthFailureReason } from '../authorizer/types';

/**
 * The identity layer's errors. Callers only ever see a generic 401; these classes carry the reason and detail for
 * the log line. None of them ever holds a raw token, secret or Authorization value.
 */

/** A configuration variable is missing or invalid. The message names each variable and how to fix it. */
export class IdentityConfigError extends Error {
  /** One entry per offending variable, e.g. `JWT_ISSUER is required: set it to ...`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: ErrorOptions) {
    super(`Invalid authorizer configuration: ${problems.join('; ')}`, options);
    this.name = 'IdentityConfigError';
    this.problems = problems;
  }
}

/** A request's credentials were refused. `reason` is the contract's {@link AuthFailureReason}. */
export class AuthenticationError extends Error {
  readonly reason: AuthFailureReason;

  constructor(reason: AuthFailureReason, detail: string, options?: ErrorOptions) {
    super(detail, options);
    this.name = 'AuthenticationError';
    this.reason = reason;
  }
}

/** The JWKS endpoint could not be read (timeout, status, size cap, garbage). */
export class JwksFetchError extends Error {
  readonly uri: string;

  constructor(uri: string, message: string, options?: ErrorOptions) {
    super(`JWKS fetch from ${uri} failed: ${message}`, options);
    this.name = 'JwksFetchError';
    this.uri = uri;
  }
}

/** Type guard for {@link IdentityConfigError}. */
export function isIdentityConfigError(error: unknown): error is IdentityConfigError {
  return error instanceof IdentityConfigError;
}

/** Type guard for {@link AuthenticationError}. */
export function isAuthenticationError(error: unknown): error is AuthenticationError {
  return error instanceof AuthenticationError;
}

/** Type guard for {@link JwksFetchError}. */
export function isJwksFetchError(error: unknown): error is JwksFetchError {
  return error instanceof JwksFetchError;
}
