/**
 * Per-route authorization (OWASP API1 broken object level, API5 broken function level): what a verified token must
 * carry to call a route, from the policy's `routes[].require`. Pure: plain values in, a verdict out.
 *
 * - `scopes`: any one of them, as API Gateway's per-route `authorizationScopes` ("Control access to HTTP APIs with
 *   JWT authorizers": the token must carry at least one of the route's scopes);
 * - `allScopes`: every one of them;
 * - `groups`: any one of them, among the token's groups or roles (`JWT_GROUPS_CLAIM`);
 * - `owner: {param, claim}`: object level, the path parameter must equal the claim (`/users/{userId}` and `sub`).
 *
 * Every listed requirement must hold. A failure is a 403, never a 401: the caller is known, the call is not theirs.
 */

/** Why a verified caller may not call a route; the decision line and the `AuthzFailure` metric carry it. */
export type AuthzFailure = 'insufficient-scope' | 'not-in-group' | 'not-owner';

/** The `require` block of a policy route. */
export interface RouteRequirement {
  readonly scopes?: readonly string[];
  readonly allScopes?: readonly string[];
  readonly groups?: readonly string[];
  readonly owner?: { readonly param: string; readonly claim: string };
}

/** What the check reads of a verified identity. */
export interface AuthzSubject {
  /** Space-separated scopes. */
  readonly scope: string;
  readonly groups?: readonly string[];
  readonly claims?: Readonly<Record<string, unknown>>;
}

export type AuthzVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: AuthzFailure; readonly detail: string };

const OK: AuthzVerdict = { ok: true };

/** Reads a claim by exact name, else by dotted path (`tenant.id`); own members only. */
function claimValue(claims: Readonly<Record<string, unknown>> | undefined, path: string): unknown {
  if (claims === undefined) return undefined;
  if (Object.hasOwn(claims, path)) return claims[path];
  let current: unknown = claims;
  for (const part of path.split('.')) {
    if (
      typeof current !== 'object' ||
      current === null ||
      Array.isArray(current) ||
      !Object.hasOwn(current, part)
    )
      return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Checks a verified identity against a route's requirement. `pathParameters` are the request's (REST and HTTP
 * events carry them; for TOKEN events see {@link pathParametersFromPattern}). No requirement: allowed.
 */
export function checkRequirement(
  requirement: RouteRequirement | undefined,
  subject: AuthzSubject,
  pathParameters: Readonly<Record<string, string>>,
): AuthzVerdict {
  if (requirement === undefined) return OK;
  const held = new Set(subject.scope.split(/\s+/).filter((s) => s.length > 0));
  const { scopes, allScopes, groups, owner } = requirement;
  if (scopes !== undefined && scopes.length > 0 && !scopes.some((s) => held.has(s)))
    return { ok: false, reason: 'insufficient-scope', detail: `needs one of ${scopes.length} scopes` };
  if (allScopes !== undefined) {
    const missing = allScopes.filter((s) => !held.has(s));
    if (missing.length > 0)
      return {
        ok: false,
        reason: 'insufficient-scope',
        detail: `lacks ${missing.length} of the required scopes`,
      };
  }
  if (groups !== undefined && groups.length > 0) {
    const member = new Set(subject.groups ?? []);
    if (!groups.some((g) => member.has(g)))
      return { ok: false, reason: 'not-in-group', detail: `needs one of ${groups.length} groups` };
  }
  if (owner !== undefined) {
    const value = Object.hasOwn(pathParameters, owner.param) ? pathParameters[owner.param] : undefined;
    const claim = claimValue(subject.claims, owner.claim);
    const expected =
      typeof claim === 'string' ? claim : typeof claim === 'number' ? String(claim) : undefined;
    // Exact comparison: no case folding or trimming, an owner check that normalises is one that can be fooled.
    if (value === undefined || expected === undefined || expected.length === 0 || value !== expected)
      return {
        ok: false,
        reason: 'not-owner',
        detail: `path parameter ${owner.param} is not the caller's ${owner.claim}`,
      };
  }
  return OK;
}

/**
 * The path parameters of a concrete path under a route pattern (`/users/{userId}/*` over `/users/alice/orders`
 * gives `{userId: 'alice'}`). TOKEN events carry only the method ARN, whose path is concrete: this is how an owner
 * rule can still be checked there. Segments are percent-decoded; undecodable ones are kept as they are.
 */
export function pathParametersFromPattern(pattern: string, path: string): Record<string, string> {
  const patternPath = pattern.includes(' ') ? pattern.slice(pattern.indexOf(' ') + 1) : pattern;
  const names = patternPath.split('/').filter((s) => s.length > 0);
  const values = path.split('/').filter((s) => s.length > 0);
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  names.forEach((name, i) => {
    const match = /^\{([^}+]+)(\+?)\}$/.exec(name);
    if (match === null || values[i] === undefined) return;
    const raw = match[2] === '+' ? values.slice(i).join('/') : values[i]!;
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // keep the raw segment
    }
    params[match[1]!] = value;
  });
  return params;
}

/**
 * `METHOD /path` from a REST method ARN or an HTTP route ARN
 * (`arn:aws:execute-api:region:account:apiId/stage/METHOD/path...`); undefined when it has no such shape.
 */
export function routeOfArn(arn: string): { method: string; path: string } | undefined {
  const resource = arn.split(':').slice(5).join(':');
  const parts = resource.split('/');
  if (parts.length < 3) return undefined;
  const method = parts[2]!.toUpperCase();
  if (!/^[A-Z*]+$/.test(method)) return undefined;
  return { method, path: `/${parts.slice(3).join('/')}` };
}
