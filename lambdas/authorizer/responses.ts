import type { APIGatewayAuthorizerResult, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import type { Decision } from './types';

/**
 * Decision -> API Gateway response.
 *
 * ## Policy resource and result caching
 * The REST policy names the exact `methodArn` of the request, for Allow and Deny alike. With authorizer result
 * caching on, API Gateway reuses a cached policy for every request with the same identity source (for a TOKEN
 * authorizer: the same token) and evaluates it against the new method's ARN, so an exact-ARN policy can yield a
 * spurious 403 on another method within the TTL. A stage-wide resource (`apiId/stage/*\/*`) would avoid that, but
 * it would also extend one route's decision to every route: once decisions depend on the route and on live risk
 * (the engine), a cached Allow from a quiet route would open a scored one, and a cached Allow outlives the token's
 * `exp` by up to the TTL on every route. We choose the failure that fails closed. Operators who want caching should
 * make the cache key per route (REQUEST identity sources `method.request.header.Authorization`,
 * `context.httpMethod`, `context.resourcePath`), which makes the exact ARN correct; the CDK turns caching off on
 * scored routes.
 */

/** The one error API Gateway maps to 401. Its message must be exactly `Unauthorized`. */
export function unauthorizedError(): Error {
  return new Error('Unauthorized');
}

/** Keeps only what API Gateway accepts in an authorizer context: strings, finite numbers, booleans. */
export function sanitiseContext(
  context: Readonly<Record<string, unknown>>,
): Record<string, string | number | boolean> {
  const clean: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(context)) {
    if (
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      clean[key] = value;
    }
  }
  return clean;
}

/**
 * REST: an IAM policy for the exact `methodArn` (see the module comment on caching).
 * @throws `Error('Unauthorized')` for an `unauthorized` decision.
 */
export function toRestPolicy(decision: Decision, methodArn: string): APIGatewayAuthorizerResult {
  if (decision.effect === 'unauthorized') throw unauthorizedError();
  return {
    principalId: decision.principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: decision.effect === 'allow' ? 'Allow' : 'Deny',
          Resource: methodArn,
        },
      ],
    },
    context: sanitiseContext(decision.context),
  };
}

/**
 * HTTP API: a simple response; a deny is `isAuthorized: false` (403).
 * @throws `Error('Unauthorized')` for an `unauthorized` decision.
 */
export function toHttpSimpleResponse(
  decision: Decision,
): APIGatewaySimpleAuthorizerWithContextResult<Record<string, string | number | boolean>> {
  if (decision.effect === 'unauthorized') throw unauthorizedError();
  return { isAuthorized: decision.effect === 'allow', context: sanitiseContext(decision.context) };
}
