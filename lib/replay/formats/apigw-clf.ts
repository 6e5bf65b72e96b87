import { parseClfTime } from './clf-time';
import { emptyDash, parseStatus } from './fields';
import type { ReplayLine } from './types';

/**
 * API Gateway's CLF example format, as the console offers it (Amazon API Gateway Developer Guide, "Set up CloudWatch
 * logging for REST APIs" and "Configure logging for HTTP APIs"):
 * REST: `$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime]
 * "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength
 * $context.requestId [$context.extendedRequestId]`; HTTP APIs log `- -` for caller and user and `$context.routeKey`
 * (which starts with the method, or is `$default`) in place of the resource path.
 * The format records no path, user agent or principal: only the route template.
 */
const CLF = /^(\S+) (\S+) (\S+) \[([^\]]+)\] ?"([^"]*)" (\S+) (\S+)(?: (\S+))?(?: (\S+))?\s*$/;

export function parseApigwClfLine(text: string): ReplayLine | undefined {
  const m = CLF.exec(text);
  if (!m) return undefined;
  const time = parseClfTime(m[4]!);
  const status = parseStatus(m[6]);
  if (Number.isNaN(time) || Number.isNaN(status)) return undefined;
  const request = m[5]!.split(' ').filter(Boolean);
  const method = (request[0] ?? '').toUpperCase();
  // The middle is the resource path (REST) or the route key (HTTP API: `GET /items/{id}`, or `$default`).
  const middle = request.slice(1, request.length > 2 ? -1 : undefined).join(' ');
  return {
    requestId: emptyDash(m[8]),
    ip: m[1]!,
    requestTimeEpoch: time,
    httpMethod: method,
    resource: middle,
    path: '',
    status,
    responseLatency: 0,
    userAgent: '',
    principalId: '',
    tokenHash: '',
    recordedBy: 'other',
  };
}

/** A quick test for detection. */
export const looksLikeApigwClf = (text: string): boolean =>
  CLF.test(text) && !Number.isNaN(parseClfTime(CLF.exec(text)![4]!));
