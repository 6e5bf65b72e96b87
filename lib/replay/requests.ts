import type { AuthorizerRequest, AuthResult } from '../../lambdas/authorizer/types';
import { tokenHash } from '../../lambdas/shared/token-hash';
import type { ReplayLine } from './formats/types';

const NO_PRINCIPAL = new Set(['', '-', 'anonymous']);

/** True when the line names an authenticated caller. */
export const hasPrincipal = (line: ReplayLine): boolean => !NO_PRINCIPAL.has(line.principalId);

/** Path parameters of `path` under a resource template (`/items/{id}`), aligned from the end (REST paths carry the stage). */
export function pathParametersFor(template: string, path: string): Record<string, string> {
  const t = template.split('/').filter(Boolean);
  const p = path.split('/').filter(Boolean);
  const out: Record<string, string> = {};
  const offset = p.length - t.length;
  if (offset < 0) return out;
  t.forEach((segment, i) => {
    const m = /^\{(\w+)\+?\}$/.exec(segment);
    if (m) {
      const raw = p[i + offset] ?? '';
      try {
        out[m[1]!] = decodeURIComponent(raw);
      } catch {
        out[m[1]!] = raw;
      }
    }
  });
  return out;
}

/** The request's route as the policy matches it: a routeKey as is, a resource path with the method in front. */
export function routeOf(line: ReplayLine): string {
  const method = line.httpMethod.toUpperCase();
  if (line.resource === '$default' || line.resource.includes(' ')) return line.resource;
  return `${method} ${line.resource || line.path || '/'}`;
}

function queryOf(raw: string | undefined): Record<string, string> {
  if (!raw) return {};
  const out: Record<string, string> = {};
  try {
    for (const [k, v] of new URLSearchParams(raw)) out[k] = k in out ? `${out[k]}, ${v}` : v;
  } catch {
    // An undecodable query is judged as one value.
    out[''] = raw;
  }
  return out;
}

/**
 * An authorizer request rebuilt from a log line at replayed time `timeMs`. It carries what the log recorded and
 * nothing else: the user agent (and only it, `recordedHeaders`, when the log has that field), the query string where the format logs it, no token.
 * Without a logged path (API Gateway's CLF) the route template stands in for it.
 */
export function requestFromLine(
  line: ReplayLine,
  timeMs: number,
  /** The log has a user-agent field (then an empty one is a client that sent none). */
  userAgentLogged = line.userAgent !== '',
): AuthorizerRequest {
  const method = line.httpMethod.toUpperCase();
  const route = routeOf(line);
  const template = route === '$default' ? '' : route.slice(route.indexOf(' ') + 1);
  const path = line.path || template || '/';
  const headers: Record<string, string> = line.userAgent ? { 'user-agent': line.userAgent } : {};
  return {
    kind: line.resource.includes(' ') || line.resource === '$default' ? 'http-v2' : 'rest-request',
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:replay/replay/${method}${path}`,
    method,
    route,
    path,
    headers,
    query: queryOf(line.query),
    pathParameters: pathParametersFor(template, path),
    clientIp: line.ip,
    timeMs,
    requestId: line.requestId || `replay-${timeMs}`,
    userAgent: line.userAgent,
    clientCert: undefined,
    rawToken: undefined,
    recordedHeaders: userAgentLogged ? ['user-agent'] : [],
  };
}

/**
 * What the identity layer had said, as far as the log shows it: a principal means an authenticated caller; in a log
 * written behind Gatewarden an authorizer 401 (no risk band) is a failed authentication; anything else is anonymous.
 * In a log from before Gatewarden a 401 is the backend's (or another authorizer's) answer, fed back as such.
 */
export function authFromLine(line: ReplayLine, timeMs: number): AuthResult {
  if (hasPrincipal(line)) {
    return {
      status: 'authenticated',
      identity: {
        subject: line.principalId,
        tokenHash: line.tokenHash || tokenHash(`replay:${line.principalId}`),
        scope: '',
        clientId: undefined,
        issuedAt: undefined,
        expiresAt: Math.floor(timeMs / 1000) + 3600,
      },
    };
  }
  if (line.recordedBy === 'gatewarden' && line.status === 401 && !line.riskBand) {
    return { status: 'failed', reason: 'invalid-signature', detail: 'authorizer 401 in the recorded log' };
  }
  return { status: 'anonymous' };
}
