/**
 * Authorizer events built to the shapes API Gateway documents ("Input to an API Gateway Lambda authorizer" for REST
 * REQUEST and TOKEN events; "Working with AWS Lambda authorizers for HTTP APIs", payload format 2.0), for tests that
 * need a chosen route, path and parameters. Only members the authorizer reads are filled in.
 */

export interface GatewayRequest {
  /** e.g. `DELETE` */
  readonly method?: string;
  /** The route template, e.g. `/orders/{id}` */
  readonly resource?: string;
  /** The concrete path, e.g. `/orders/42` */
  readonly path?: string;
  readonly pathParameters?: Record<string, string>;
  readonly authorization?: string;
  readonly sourceIp?: string;
  readonly timeMs?: number;
}

const API = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234';
let counter = 0;
const requestId = () => `c6af9ac6-7b61-11e6-9a41-${String(++counter).padStart(12, '0')}`;

/** REST API REQUEST authorizer event. */
export function restRequestEvent(r: GatewayRequest = {}): Record<string, unknown> {
  const method = r.method ?? 'GET';
  const path = r.path ?? '/orders/42';
  const headers: Record<string, string> = { accept: '*/*', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' };
  if (r.authorization !== undefined) headers.Authorization = r.authorization;
  return {
    type: 'REQUEST',
    methodArn: `${API}/prod/${method}${path}`,
    resource: r.resource ?? '/orders/{id}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    pathParameters: r.pathParameters ?? { id: '42' },
    stageVariables: {},
    requestContext: {
      path: `/prod${path}`,
      accountId: '123456789012',
      resourceId: '05c7jb',
      stage: 'prod',
      requestId: requestId(),
      identity: { sourceIp: r.sourceIp ?? '198.51.100.20', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
      resourcePath: r.resource ?? '/orders/{id}',
      httpMethod: method,
      apiId: 'abcdef1234',
      requestTimeEpoch: r.timeMs ?? Date.now(),
    },
  };
}

/** REST API TOKEN authorizer event: only the token and the method ARN (concrete path, no template). */
export function restTokenEvent(r: GatewayRequest = {}): Record<string, unknown> {
  return {
    type: 'TOKEN',
    authorizationToken: r.authorization,
    methodArn: `${API}/prod/${r.method ?? 'GET'}${r.path ?? '/orders/42'}`,
  };
}

/** HTTP API authorizer event, payload format 2.0. */
export function httpEvent(r: GatewayRequest = {}): Record<string, unknown> {
  const method = r.method ?? 'GET';
  const path = r.path ?? '/orders/42';
  const headers: Record<string, string> = { accept: '*/*', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' };
  if (r.authorization !== undefined) headers.authorization = r.authorization;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `${API}/$default/${method}${path}`,
    identitySource: r.authorization !== undefined ? [r.authorization] : [],
    routeKey: `${method} ${r.resource ?? '/orders/{id}'}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      domainName: 'abcdef1234.execute-api.eu-west-1.amazonaws.com',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: r.sourceIp ?? '198.51.100.20',
        userAgent: 'Mozilla/5.0',
      },
      requestId: requestId(),
      routeKey: `${method} ${r.resource ?? '/orders/{id}'}`,
      stage: '$default',
      timeEpoch: r.timeMs ?? Date.now(),
    },
    pathParameters: r.pathParameters ?? { id: '42' },
  };
}
