import { randomUUID } from 'node:crypto';
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

/**
 * The decider used before (and beside) the risk engine. TOKEN events always use it, because they carry no IP,
 * headers or time for the engine to score.
 */
export class IdentityOnlyDecider implements Decider {
  async decide(request: AuthorizerRequest, auth: AuthResult): Promise<Decision> {
    return identityOnly(auth, request.requestId || randomUUID());
  }
}
