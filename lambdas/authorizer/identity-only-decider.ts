import { randomUUID } from 'node:crypto';
import { authorizeRequest } from '../authz/authorize-request';
import type { AuthzFailure } from '../authz/route-authz';
import type { Policy } from '../policy/policy';
import { identityContext } from './identity-context';
import type { AuthorizerRequest, AuthResult, Decider, Decision } from './types';

/**
 * The identity-only decision: a verified identity is allowed, anything else is 401. The band is `allow` so the
 * access log tells a backend's 401 after this decision from the authorizer's own refusal.
 */
export function identityOnly(auth: AuthResult, decisionId: string): Decision {
  if (auth.status !== 'authenticated') return { effect: 'unauthorized' };
  const { identity } = auth;
  return {
    effect: 'allow',
    principalId: identity.subject,
    context: {
      sub: identity.subject,
      scope: identity.scope,
      ...identityContext(identity),
      tokenHash: identity.tokenHash,
      decisionId,
      riskBand: 'allow',
    },
  };
}

/** A 403 for a valid token that a route's `require` refuses; the reason is logged, never sent. */
export function authzDenied(
  principalId: string,
  context: Readonly<Record<string, string | number | boolean>>,
  reason: AuthzFailure,
): Decision {
  return { effect: 'deny', principalId, context, authzFailure: reason };
}

/**
 * A TOKEN event's decision: identity, then the policy's route requirements as far as a method ARN shows them
 * (see `authorize-request.ts` for what TOKEN events can and cannot tell).
 */
export function tokenDecision(
  policy: Pick<Policy, 'requirementFor' | 'hasRequirements'> | undefined,
  request: AuthorizerRequest,
  auth: AuthResult,
  decisionId: string,
): Decision {
  if (auth.status === 'authenticated' && policy !== undefined) {
    const verdict = authorizeRequest(policy, request, auth.identity);
    if (!verdict.ok) {
      return authzDenied(
        auth.identity.subject,
        { decisionId, sub: auth.identity.subject, riskBand: 'deny' },
        verdict.reason,
      );
    }
  }
  return identityOnly(auth, decisionId);
}

/** Options of {@link IdentityOnlyDecider}. */
export interface IdentityOnlyDeciderOptions {
  /** Route requirements to apply. @default undefined (identity only) */
  readonly policy?: Pick<Policy, 'requirementFor' | 'hasRequirements'>;
  /** Called for each route-authorization refusal (the runtime counts the `AuthzFailure` metric). */
  readonly onAuthzFailure?: (reason: AuthzFailure) => void;
}

/**
 * The decider used before (and beside) the risk engine. TOKEN events always use it, because they carry no IP,
 * headers or time for the engine to score; with a policy it also applies the routes' `require`.
 */
export class IdentityOnlyDecider implements Decider {
  constructor(private readonly options: IdentityOnlyDeciderOptions = {}) {}

  async decide(request: AuthorizerRequest, auth: AuthResult): Promise<Decision> {
    const decision = tokenDecision(this.options.policy, request, auth, request.requestId || randomUUID());
    if (decision.effect === 'deny' && decision.authzFailure)
      this.options.onAuthzFailure?.(decision.authzFailure);
    return decision;
  }
}
