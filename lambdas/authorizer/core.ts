import type { Authenticate } from '../identity/authenticate';
import { tokenHash } from '../shared/token-hash';
import type { AuthorizerRequest, AuthResult, Decider, Decision } from './types';

/** The logging surface the core needs; Powertools' Logger satisfies it. */
export interface AuthorizerLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** What {@link createAuthorize} composes. */
export interface AuthorizeDeps {
  readonly authenticate: Authenticate;
  /** The decider for REQUEST and HTTP events (the risk engine, later). */
  readonly decider: Decider;
  /** The decider for TOKEN events: they carry no IP, headers or request time, so only identity can be judged. */
  readonly tokenDecider: Decider;
  readonly logger: AuthorizerLogger;
  /**
   * True when `decider` writes its own decision line (the risk engine does, with score and signals): the core then
   * logs only refusals (401) and failures, so each request costs one log line.
   * @default false
   */
  readonly deciderLogs?: boolean;
}

/** A request in, a decision out; never throws. */
export type Authorize = (request: AuthorizerRequest) => Promise<Decision>;

/**
 * Composes identity and decision: authenticate, then decide; any exception becomes `unauthorized` (fail closed).
 * Logs one structured line per request with the reason, the subject and the token hash, never the token, the
 * Authorization value or cookies.
 */
export function createAuthorize(deps: AuthorizeDeps): Authorize {
  return async (request) => {
    let auth: AuthResult | undefined;
    try {
      auth = await deps.authenticate(request);
      const decider = request.kind === 'rest-token' ? deps.tokenDecider : deps.decider;
      const decision = await decider.decide(request, auth);
      const logged = deps.deciderLogs && request.kind !== 'rest-token' && decision.effect !== 'unauthorized';
      if (!logged) deps.logger.info('authorizer decision', describe(request, auth, decision));
      return decision;
    } catch (error) {
      deps.logger.error('authorizer failed closed', {
        ...describe(request, auth, { effect: 'unauthorized' }),
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      return { effect: 'unauthorized' };
    }
  };
}

function describe(
  request: AuthorizerRequest,
  auth: AuthResult | undefined,
  decision: Decision,
): Record<string, unknown> {
  return {
    effect: decision.effect,
    kind: request.kind,
    route: request.route,
    requestId: request.requestId,
    clientIp: request.clientIp,
    auth: auth?.status,
    reason:
      auth?.status === 'failed'
        ? auth.reason
        : decision.effect === 'deny' && decision.authzFailure
          ? decision.authzFailure
          : undefined,
    detail: auth?.status === 'failed' ? auth.detail : undefined,
    subject: auth?.status === 'authenticated' ? auth.identity.subject : undefined,
    // Hash even a refused token: operators can then name (and count) a hostile token without seeing it.
    tokenHash:
      auth?.status === 'authenticated'
        ? auth.identity.tokenHash
        : request.rawToken !== undefined
          ? tokenHash(request.rawToken)
          : undefined,
    decisionId: decision.effect === 'unauthorized' ? undefined : decision.context.decisionId,
  };
}
