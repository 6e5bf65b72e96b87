import { resolveClientIp } from '../identity/client-ip';
import type { AuthorizerRequest, ClientCertificate, EventKind } from './types';

/**
 * Normalisation of API Gateway authorizer events into {@link AuthorizerRequest}.
 *
 * The input is treated as untrusted JSON of any shape: every field is type-checked, nothing here throws, and a
 * shape we cannot use comes back as `{ ok: false }` so the handler answers 401.
 */

/** Options shared by both normalisers. */
export interface NormaliseOptions {
  /** `TRUSTED_PROXY_COUNT`. */
  readonly trustedProxyCount: number;
  /** Fallback clock (epoch ms) when the event carries no usable request time. @default Date.now */
  readonly now?: () => number;
}

/** A normalised request, or why the event could not be used (the handler answers 401). */
export type NormaliseResult =
  | { readonly ok: true; readonly request: AuthorizerRequest }
  | { readonly ok: false; readonly problem: string };

type Json = Record<string, unknown>;

const record = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const own = (object: Json | undefined, key: string): unknown =>
  object !== undefined && Object.hasOwn(object, key) ? object[key] : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Builds a null-prototype map so a `__proto__` header or parameter is an ordinary entry. */
const emptyMap = (): Record<string, string> => Object.create(null) as Record<string, string>;

/** Lower-cases names and joins repeated values with ", " (names differing only in case are one header). */
export function normaliseHeaders(single: unknown, multi: unknown): Record<string, string> {
  const headers = emptyMap();
  const multiRecord = record(multi);
  const add = (name: string, value: string): void => {
    const key = name.toLowerCase();
    headers[key] = Object.hasOwn(headers, key) ? `${headers[key]}, ${value}` : value;
  };
  if (multiRecord !== undefined) {
    for (const [name, values] of Object.entries(multiRecord)) {
      if (Array.isArray(values)) {
        const strings = values.filter((value): value is string => typeof value === 'string');
        if (strings.length > 0) add(name, strings.join(', '));
      }
    }
  }
  const singleRecord = record(single);
  if (singleRecord !== undefined) {
    for (const [name, value] of Object.entries(singleRecord)) {
      // REST events carry each header in both maps; the multi-value one (already added) is complete.
      if (typeof value === 'string' && !Object.hasOwn(headers, name.toLowerCase())) add(name, value);
    }
  }
  return headers;
}

function stringMap(single: unknown, multi?: unknown): Record<string, string> {
  const map = emptyMap();
  const multiRecord = record(multi);
  if (multiRecord !== undefined) {
    for (const [name, values] of Object.entries(multiRecord)) {
      if (Array.isArray(values)) {
        const strings = values.filter((value): value is string => typeof value === 'string');
        if (strings.length > 0) map[name] = strings.join(',');
      }
    }
  }
  const singleRecord = record(single);
  if (singleRecord !== undefined) {
    for (const [name, value] of Object.entries(singleRecord)) {
      if (typeof value === 'string' && !Object.hasOwn(map, name)) map[name] = value;
    }
  }
  return map;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Parses the OpenSSL date form API Gateway reports (`May 28 12:30:02 2019 GMT`) strictly; `Date.parse` would
 * accept almost anything. Returns NaN when unparseable, as the contract asks.
 */
export function parseCertificateDate(value: unknown): number {
  if (typeof value !== 'string') return Number.NaN;
  const match = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(value.trim());
  if (match === null) return Number.NaN;
  const month = MONTHS.indexOf(match[1]!);
  if (month < 0) return Number.NaN;
  const [day, hour, minute, second, year] = [match[2], match[3], match[4], match[5], match[6]].map(
    Number,
  ) as [number, number, number, number, number];
  const ms = Date.UTC(year, month, day, hour, minute, second);
  const check = new Date(ms);
  // Reject overflowed dates such as Feb 31 that Date.UTC silently rolls over.
  return check.getUTCDate() === day && hour < 24 && minute < 60 && second < 61 ? ms : Number.NaN;
}

function clientCertificate(value: unknown): ClientCertificate | undefined {
  const cert = record(value);
  if (cert === undefined) return undefined;
  const validity = record(own(cert, 'validity'));
  return {
    subjectDN: str(own(cert, 'subjectDN')) ?? '',
    issuerDN: str(own(cert, 'issuerDN')) ?? '',
    serialNumber: str(own(cert, 'serialNumber')) ?? '',
    notBefore: parseCertificateDate(own(validity, 'notBefore')),
    notAfter: parseCertificateDate(own(validity, 'notAfter')),
  };
}

function requestTime(value: unknown, now: () => number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : now();
}

/** A compact JWS: three base64url segments (the signature may be empty, so `alg: none` is reported as such). */
const BARE_JWT = /^\s*([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/;

/**
 * The bearer token from an Authorization value: scheme case-insensitive (RFC 9110), exactly one token68; or a bare
 * JWT with no scheme, which API Gateway's own JWT authorizer also accepts ("Control access to HTTP APIs with JWT
 * authorizers": the `Bearer ` prefix is optional). Anything else (`Basic`, another scheme, two tokens, a
 * comma-joined repeat, a bare value that is not a JWT) yields undefined and fails later. Same rule on every event.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^\s*bearer[ \t]+([^\s,]+)\s*$/i.exec(authorization);
  return match?.[1] ?? BARE_JWT.exec(authorization)?.[1];
}

const tokenRequest = (event: Json, options: NormaliseOptions): NormaliseResult => {
  const methodArn = str(own(event, 'methodArn'));
  if (methodArn === undefined || methodArn.length === 0)
    return { ok: false, problem: 'TOKEN event without methodArn' };
  const authorizationToken = str(own(event, 'authorizationToken'));
  const headers = emptyMap();
  // Presented as an Authorization header so primitive-auth detection treats both event types alike.
  if (authorizationToken !== undefined) headers.authorization = authorizationToken;
  return {
    ok: true,
    request: {
      kind: 'rest-token',
      methodArn,
      method: '',
      route: '',
      path: '',
      headers,
      query: emptyMap(),
      pathParameters: emptyMap(),
      clientIp: undefined,
      timeMs: (options.now ?? Date.now)(),
      requestId: '',
      userAgent: '',
      clientCert: undefined,
      rawToken: bearerToken(authorizationToken),
    },
  };
};

/**
 * Normalises a REST API authorizer event (REQUEST or TOKEN). Never throws.
 * Route is `"<METHOD> <resource>"`; time is `requestContext.requestTimeEpoch`, else the clock.
 */
export function normaliseRestEvent(event: unknown, options: NormaliseOptions): NormaliseResult {
  try {
    const root = record(event);
    if (root === undefined) return { ok: false, problem: 'event is not an object' };
    if (own(root, 'type') === 'TOKEN') return tokenRequest(root, options);
    const context = record(own(root, 'requestContext'));
    const identity = record(own(context, 'identity'));
    const methodArn = str(own(root, 'methodArn'));
    if (methodArn === undefined || methodArn.length === 0)
      return { ok: false, problem: 'event without methodArn' };
    const method = (str(own(root, 'httpMethod')) ?? str(own(context, 'httpMethod')) ?? '').toUpperCase();
    const resource = str(own(root, 'resource')) ?? str(own(context, 'resourcePath')) ?? '';
    const headers = normaliseHeaders(own(root, 'headers'), own(root, 'multiValueHeaders'));
    return {
      ok: true,
      request: build('rest-request', {
        methodArn,
        method,
        route: `${method} ${resource}`,
        path: str(own(root, 'path')) ?? '',
        headers,
        query: stringMap(own(root, 'queryStringParameters'), own(root, 'multiValueQueryStringParameters')),
        pathParameters: stringMap(own(root, 'pathParameters')),
        sourceIp: str(own(identity, 'sourceIp')),
        timeMs: requestTime(own(context, 'requestTimeEpoch'), options.now ?? Date.now),
        requestId: str(own(context, 'requestId')) ?? '',
        userAgent: headers['user-agent'] ?? str(own(identity, 'userAgent')) ?? '',
        clientCert: clientCertificate(own(identity, 'clientCert')),
        trustedProxyCount: options.trustedProxyCount,
      }),
    };
  } catch {
    // Unreachable by design (every access is guarded); kept so a future edit cannot turn garbage into a 500.
    return { ok: false, problem: 'event could not be normalised' };
  }
}

/**
 * Normalises an HTTP API authorizer event, payload format 2.0 only (1.0 cannot take simple responses). Never throws.
 * Route is the `routeKey`; time is `requestContext.timeEpoch`, else the clock; `cookies` become a `cookie` header.
 */
export function normaliseHttpEvent(event: unknown, options: NormaliseOptions): NormaliseResult {
  try {
    const root = record(event);
    if (root === undefined) return { ok: false, problem: 'event is not an object' };
    if (own(root, 'version') !== '2.0') return { ok: false, problem: 'not a payload format 2.0 event' };
    const context = record(own(root, 'requestContext'));
    const http = record(own(context, 'http'));
    const authentication = record(own(context, 'authentication'));
    const headers = normaliseHeaders(own(root, 'headers'), undefined);
    const cookies = own(root, 'cookies');
    if (Array.isArray(cookies) && !Object.hasOwn(headers, 'cookie')) {
      const strings = cookies.filter((value): value is string => typeof value === 'string');
      if (strings.length > 0) headers.cookie = strings.join('; ');
    }
    return {
      ok: true,
      request: build('http-v2', {
        methodArn: str(own(root, 'routeArn')) ?? '',
        method: (str(own(http, 'method')) ?? '').toUpperCase(),
        route: str(own(root, 'routeKey')) ?? str(own(context, 'routeKey')) ?? '',
        path: str(own(root, 'rawPath')) ?? str(own(http, 'path')) ?? '',
        headers,
        query: stringMap(own(root, 'queryStringParameters')),
        pathParameters: stringMap(own(root, 'pathParameters')),
        sourceIp: str(own(http, 'sourceIp')),
        timeMs: requestTime(own(context, 'timeEpoch'), options.now ?? Date.now),
        requestId: str(own(context, 'requestId')) ?? '',
        userAgent: headers['user-agent'] ?? str(own(http, 'userAgent')) ?? '',
        clientCert: clientCertificate(own(authentication, 'clientCert')),
        trustedProxyCount: options.trustedProxyCount,
      }),
    };
  } catch {
    return { ok: false, problem: 'event could not be normalised' };
  }
}

interface Parts {
  readonly methodArn: string;
  readonly method: string;
  readonly route: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly query: Record<string, string>;
  readonly pathParameters: Record<string, string>;
  readonly sourceIp: string | undefined;
  readonly timeMs: number;
  readonly requestId: string;
  readonly userAgent: string;
  readonly clientCert: ClientCertificate | undefined;
  readonly trustedProxyCount: number;
}

function build(kind: EventKind, parts: Parts): AuthorizerRequest {
  return {
    kind,
    methodArn: parts.methodArn,
    method: parts.method,
    route: parts.route,
    path: parts.path,
    headers: parts.headers,
    query: parts.query,
    pathParameters: parts.pathParameters,
    clientIp: resolveClientIp(parts.sourceIp, parts.headers['x-forwarded-for'], parts.trustedProxyCount),
    timeMs: parts.timeMs,
    requestId: parts.requestId,
    userAgent: parts.userAgent,
    clientCert: parts.clientCert,
    rawToken: bearerToken(parts.headers.authorization),
  };
}
