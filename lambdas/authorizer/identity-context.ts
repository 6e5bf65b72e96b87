import type { Identity } from './types';

/**
 * Size caps of the identity fields in the authorizer context. API Gateway passes the context to the backend
 * (`$context.authorizer.*`, headers by mapping) and caches it with the policy; an Entra token can carry hundreds of
 * group ids, so the lists are cut at an entry boundary and `groupsTruncated` says so.
 */
export const CONTEXT_LIMITS = { groups: 1024, clientId: 256 } as const;

/**
 * The identity fields every allowed decision carries besides `sub` and `scope`: the client id and the groups or
 * roles, comma-separated (an entry containing a comma is left out rather than split wrongly).
 */
export function identityContext(identity: Identity): Record<string, string | boolean> {
  const context: Record<string, string | boolean> = {};
  if (identity.clientId !== undefined && identity.clientId.length <= CONTEXT_LIMITS.clientId)
    context.clientId = identity.clientId;
  const groups = identity.groups ?? [];
  if (groups.length > 0) {
    let joined = '';
    let truncated = false;
    for (const group of groups) {
      if (group.includes(',')) continue;
      const next = joined === '' ? group : `${joined},${group}`;
      if (next.length > CONTEXT_LIMITS.groups) {
        truncated = true;
        break;
      }
      joined = next;
    }
    context.groups = joined;
    if (truncated) context.groupsTruncated = true;
  }
  return context;
}
