/**
 * Route template matching. Routes match the API's route template (REST `resource` + method, HTTP API `routeKey`),
 * never the raw path, so `/pets/123` and `/pets/456` share the settings of `GET /pets/{id}`.
 *
 * Rules (documented in the README): the policy's routes are tried in order and the FIRST match wins.
 * - `METHOD` is an exact HTTP method, or `ANY` / `*` for every method;
 * - a path segment matches literally, `{name}` or `*` matches exactly one segment;
 * - a trailing `/*`, `{proxy+}` or `{name+}` matches the rest of the path (one or more segments);
 * - `$default` matches only the HTTP API `$default` route;
 * - a pattern without a method (`/pets/{id}`) matches every method.
 */
export interface CompiledRoute {
  readonly method: string | undefined;
  readonly segments: readonly string[];
  readonly greedy: boolean;
  readonly literal: string | undefined;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

export function compileRoute(pattern: string): CompiledRoute {
  const trimmed = pattern.trim();
  if (trimmed === '$default') return { method: undefined, segments: [], greedy: false, literal: '$default' };
  const space = trimmed.indexOf(' ');
  const methodPart = space > 0 ? trimmed.slice(0, space).toUpperCase() : undefined;
  const pathPart = space > 0 ? trimmed.slice(space + 1).trim() : trimmed;
  const method = methodPart === 'ANY' || methodPart === '*' ? undefined : methodPart;
  const segments = splitPath(pathPart);
  const last = segments.at(-1);
  const greedy =
    last === '*' ? segments.length > 0 && pathPart.endsWith('/*') : /^\{[^}]+\+\}$/.test(last ?? '');
  return { method, segments: greedy ? segments.slice(0, -1) : segments, greedy, literal: undefined };
}

function segmentMatches(pattern: string, actual: string): boolean {
  if (pattern === '*' || /^\{[^}+]+\}$/.test(pattern)) return true;
  return pattern === actual;
}

/**
 * True when a request route (`"GET /pets/{id}"`, `"$default"`) matches a compiled pattern. The request's own
 * template segments (`{id}`) match pattern wildcards and identical template names.
 */
export function routeMatches(compiled: CompiledRoute, route: string): boolean {
  if (compiled.literal !== undefined) return route === compiled.literal;
  const space = route.indexOf(' ');
  const method = space > 0 ? route.slice(0, space).toUpperCase() : '';
  const path = space > 0 ? route.slice(space + 1) : route;
  if (compiled.method !== undefined && method !== compiled.method && method !== 'ANY') return false;
  const actual = splitPath(path);
  if (compiled.greedy) {
    if (actual.length <= compiled.segments.length) return false;
  } else if (actual.length !== compiled.segments.length) {
    return false;
  }
  return compiled.segments.every((p, i) => segmentMatches(p, actual[i] ?? ''));
}
