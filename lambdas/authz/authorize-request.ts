import type { AuthorizerRequest, Identity } from '../authorizer/types';
import type { Policy } from '../policy/policy';
import { type AuthzVerdict, checkRequirement, pathParametersFromPattern, routeOfArn } from './route-authz';

/**
 * Route authorization of one request, on every event kind:
 *
 * - REST REQUEST and HTTP events carry the route template (`resource` / `routeKey`) and the path parameters, so
 *   every rule applies as written.
 * - TOKEN events carry only the token and the method ARN. The ARN's method and concrete path are matched against
 *   the policy routes (a `{param}` matches any segment) and owner rules read the parameter from that path. What a
 *   TOKEN authorizer cannot do: tell two API routes apart that share a concrete path shape (`/users/me` under
 *   `/users/{id}`: first policy route wins, as for templates), see query strings or headers, or count probing by
 *   IP (there is none). With result caching on, API Gateway reuses the answer for the same token on other methods;
 *   the policy names the exact method ARN, so a cached Allow never opens another route (it answers 403 there).
 */
export function authorizeRequest(
  policy: Pick<Policy, 'requirementFor' | 'hasRequirements'>,
  request: AuthorizerRequest,
  identity: Identity,
): AuthzVerdict {
  if (request.kind !== 'rest-token') {
    const found = policy.requirementFor(request.route);
    return checkRequirement(found?.requirement, identity, request.pathParameters);
  }
  const route = routeOfArn(request.methodArn);
  // An ARN we cannot read names no route: with requirements in the policy, fail closed.
  if (route === undefined)
    return policy.hasRequirements
      ? { ok: false, reason: 'insufficient-scope', detail: 'method ARN names no route' }
      : { ok: true };
  const found = policy.requirementFor(`${route.method} ${route.path}`);
  if (found === undefined) return { ok: true };
  return checkRequirement(found.requirement, identity, pathParametersFromPattern(found.pattern, route.path));
}
