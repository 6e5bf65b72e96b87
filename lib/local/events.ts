import { randomUUID } from 'node:crypto';

/**
 * Builds API Gateway Lambda-authorizer events shaped exactly like the official samples (REST REQUEST and HTTP API
 * payload 2.0; see the fixtures in shared/fixtures/api-gateway-events). Used by the local gateway, the simulator and
 * the benchmarks; tests check the shapes with the Powertools parser schemas.
 */
export interface HttpRequestShape {
  readonly method: string;
  /** Raw path, e.g. `/items/42`. */
  readonly path: string;
  /** Route template: REST resource (`/items/{id}`); the HTTP routeKey is `METHOD template`. */
  readonly resource: string;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  /** Header names as the client sent them. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly sourceIp: string;
  /** Epoch milliseconds. */
  readonly timeMs: number;
  readonly requestId?: string;
}

export interface ApiShape {
  readonly region?: string;
  readonly accountId?: string;
  readonly apiId?: string;
  readonly stage?: string;
}

const DEFAULT_API = { region: 'us-east-1', accountId: '123456789012', apiId: 'gwlocal001', stage: 'prod' };

/** API Gateway's `requestTime` format: `17/Jun/2024:15:02:03 +0000`. */
export function requestTime(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function queryString(query: Readonly<Record<string, string>>): string {
  return Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** A REST API REQUEST authorizer event (`type: REQUEST`, IAM policy answer). */
export function restRequestEvent(req: HttpRequestShape, api: ApiShape = {}): Record<string, unknown> {
  const a = { ...DEFAULT_API, ...api };
  const headers = { ...(req.headers ?? {}) };
  const query = req.query ?? {};
  const requestId = req.requestId ?? randomUUID();
  const userAgent = Object.entries(headers).find(([k]) => k.toLowerCase() === 'user-agent')?.[1] ?? '';
  const arnPath = req.path.replace(/^\//, '');
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${a.region}:${a.accountId}:${a.apiId}/${a.stage}/${req.method}/${arnPath}`,
    resource: req.resource,
    path: req.path,
    httpMethod: req.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    pathParameters: req.pathParameters ?? {},
    stageVariables: {},
    requestContext: {
      resourceId: 'local1',
      resourcePath: req.resource,
      httpMethod: req.method,
      extendedRequestId: requestId.slice(0, 16),
      requestTime: requestTime(req.timeMs),
      path: `/${a.stage}${req.path}`,
      accountId: a.accountId,
      protocol: 'HTTP/1.1',
      stage: a.stage,
      domainPrefix: a.apiId,
      requestTimeEpoch: req.timeMs,
      requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: req.sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent,
        user: null,
      },
      domainName: `${a.apiId}.execute-api.${a.region}.amazonaws.com`,
      deploymentId: 'local1',
      apiId: a.apiId,
    },
  };
}

/** An HTTP API authorizer event, payload format 2.0. */
export function httpRequestEvent(req: HttpRequestShape, api: ApiShape = {}): Record<string, unknown> {
  const a = { ...DEFAULT_API, stage: '$default', ...api };
  const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const routeKey = `${req.method} ${req.resource}`;
  const requestId = req.requestId ?? randomUUID();
  const arnPath = req.path.replace(/^\//, '');
  const authorization = headers.authorization;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${a.region}:${a.accountId}:${a.apiId}/${a.stage}/${req.method}/${arnPath}`,
    identitySource: authorization ? [authorization] : [],
    routeKey,
    rawPath: req.path,
    rawQueryString: queryString(req.query ?? {}),
    ...(req.query && Object.keys(req.query).length > 0 ? { queryStringParameters: req.query } : {}),
    ...(req.pathParameters && Object.keys(req.pathParameters).length > 0
      ? { pathParameters: req.pathParameters }
      : {}),
    headers,
    requestContext: {
      accountId: a.accountId,
      apiId: a.apiId,
      domainName: `${a.apiId}.execute-api.${a.region}.amazonaws.com`,
      domainPrefix: a.apiId,
      http: {
        method: req.method,
        path: req.path,
        protocol: 'HTTP/1.1',
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: a.stage,
      time: requestTime(req.timeMs),
      timeEpoch: req.timeMs,
    },
  };
}

/** What a proxy integration adds to a request: the body and the context the authorizer returned. */
export interface ProxyRequestShape extends HttpRequestShape {
  /** The body as the client sent it (UTF-8 text), or undefined for none. */
  readonly body?: string;
  /** Send the body base64-encoded with `isBase64Encoded: true`, as API Gateway does for binary media types. */
  readonly base64?: boolean;
  /** REST: the authorizer's `principalId` and context keys; HTTP API: its simple-response context. */
  readonly authorizer?: Readonly<Record<string, unknown>>;
}

const proxyBody = (req: ProxyRequestShape) =>
  req.body === undefined
    ? { body: null, isBase64Encoded: false }
    : req.base64
      ? { body: Buffer.from(req.body, 'utf8').toString('base64'), isBase64Encoded: true }
      : { body: req.body, isBase64Encoded: false };

/**
 * A REST API Lambda proxy integration event (what a backend behind the REST authorizer receives): the authorizer
 * event's request fields plus `body`, `isBase64Encoded` and `requestContext.authorizer` holding `principalId` and the
 * context keys ("Input format of a Lambda function for proxy integration", API Gateway developer guide).
 */
export function restProxyEvent(req: ProxyRequestShape, api: ApiShape = {}): Record<string, unknown> {
  const { type: _type, methodArn: _methodArn, requestContext, ...rest } = restRequestEvent(req, api);
  return {
    ...rest,
    requestContext: {
      ...(requestContext as Record<string, unknown>),
      // API Gateway adds the authorizer's latency beside its principal and context.
      authorizer: { ...(req.authorizer ?? {}), integrationLatency: 0 },
    },
    ...proxyBody(req),
  };
}

/**
 * An HTTP API proxy integration event, payload format 2.0, behind a Lambda authorizer with simple responses: the
 * authorizer's context sits under `requestContext.authorizer.lambda` ("Working with AWS Lambda proxy integrations for
 * HTTP APIs" and "Control access to HTTP APIs with AWS Lambda authorizers").
 */
export function httpProxyEvent(req: ProxyRequestShape, api: ApiShape = {}): Record<string, unknown> {
  const {
    type: _type,
    routeArn: _routeArn,
    identitySource: _identitySource,
    requestContext,
    ...rest
  } = httpRequestEvent(req, api);
  return {
    ...rest,
    requestContext: {
      ...(requestContext as Record<string, unknown>),
      authorizer: { lambda: { ...(req.authorizer ?? {}) } },
    },
    ...proxyBody(req),
  };
}
