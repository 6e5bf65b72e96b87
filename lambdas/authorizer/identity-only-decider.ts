import { randomUUID } from 'node:crypto';
import type { AuthorizerRequest, AuthResult, Decider, Decision } from './types';

/**
 * The decider used before (and beside) the risk engine: a verified identity is allowed, anything else is 401.
 * TOKEN events always use it, because they carry no IP, headers or time for the engine to score.
 */
export class IdentityOnlyDecider implements Decider {
  async decide(_request: AuthorizerRequest, auth: AuthResult): Promise<Decision> {
    if (auth.status !== 'authenticated') return { effect: 'unauthorized' };
    const { identity } = auth;
    return {
      effect: 'allow',
      principalId: identity.subject,
      context: {
        sub: identity.subject,
        scope: identity.scope,
        tokenHash: identity.tokenHash,
        decisionId: randomUUID(),
      },
    };
  }
}
