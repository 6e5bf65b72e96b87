import { normaliseHeaders } from '../../authorizer/events';
import { resolveClientIp } from '../../identity/client-ip';

/**
 * Who sent a proxy event, keyed as the authorizer keys its counters: the client IP from the same fields and the same
 * `TRUSTED_PROXY_COUNT` rule (`resolveClientIp`), the subject from the context the authorizer returned.
 */
export interface BodyCaller {
  /** Client IP per TRUSTED_PROXY_COUNT; undefined when the event carries none usable. */
  readonly ip: string | undefined;
  /** The authorizer's subject (`sub` in its context); undefined for anonymous callers. */
  readonly subject: string | undefined;
  /** Request time, epoch milliseconds (the event's, else the clock). */
  readonly timeMs: number;
  readonly requestId: string;
  readonly method: string;
  /** Header names lower-cased, repeated values joined (as the authorizer reads them). */
  readonly headers: Readonly<Record<string, string>>;
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const nonEmpty = (value: unknown): string | undefined => {
  const s = str(value);
  return s !== undefined && s !== '' ? s : undefined;
};

/**
 * The subject the authorizer put in its context. REST proxy events carry the context keys in
 * `requestContext.authorizer` beside `principalId`; HTTP API payload 2.0 events under
 * `requestContext.authorizer.lambda` (simple responses). The engine answers anonymous callers with principal
 * `anonymous` and `sub: ''`, which are no subject.
 */
function subjectOf(authorizer: Json | undefined): string | undefined {
  if (authorizer === undefined) return undefined;
  const lambda = record(authorizer.lambda);
  const sub = nonEmpty(lambda?.sub) ?? nonEmpty(authorizer.sub);
  if (sub !== undefined) return sub;
  const principal = nonEmpty(authorizer.principalId);
  return principal !== 'anonymous' ? principal : undefined;
}

/** Reads the caller of a REST API (v1) or HTTP API (payload 2.0) proxy event. Never throws. */
export function callerOf(event: unknown, trustedProxyCount: number, now: () => number): BodyCaller {
  const root = record(event);
  const context = record(root?.requestContext);
  const http = record(context?.http);
  const isV2 = root?.version === '2.0';
  const headers = normaliseHeaders(root?.headers, isV2 ? undefined : root?.multiValueHeaders);
  const sourceIp = isV2 ? str(http?.sourceIp) : str(record(context?.identity)?.sourceIp);
  const time = isV2 ? context?.timeEpoch : context?.requestTimeEpoch;
  return {
    ip: resolveClientIp(sourceIp, headers['x-forwarded-for'], trustedProxyCount),
    subject: subjectOf(record(context?.authorizer)),
    timeMs: typeof time === 'number' && Number.isFinite(time) && time > 0 ? time : now(),
    requestId: str(context?.requestId) ?? '',
    method: (isV2 ? (str(http?.method) ?? '') : (str(root?.httpMethod) ?? '')).toUpperCase(),
    headers,
  };
}
