/**
 * The API Gateway JSON access-log format Gatewarden reads back, defined once. The CDK stack writes it to the
 * API's access log group; the log-feedback handler, the simulator and `gatewarden replay` parse it.
 *
 * `label` is never written by API Gateway: recorded or simulated traffic may carry it (`human` / `bot`) so replay
 * can say which humans a policy would have hit.
 */
export interface AccessLogLine {
  readonly requestId: string;
  readonly ip: string;
  /** Epoch milliseconds. */
  readonly requestTimeEpoch: number;
  readonly httpMethod: string;
  /** REST resource template (`/pets/{id}`) or HTTP API routeKey (`GET /pets/{id}`). */
  readonly resource: string;
  readonly path: string;
  readonly status: number;
  /** Milliseconds. */
  readonly responseLatency: number;
  readonly userAgent: string;
  /** Authorizer principalId (the subject), `-` or empty when none. */
  readonly principalId: string;
  readonly tokenHash: string;
  /**
   * The risk band the authorizer decided (`allow` … `block`); empty when the authorizer refused with 401 or never
   * ran. Its presence is what tells a backend's 401 (a failed login) from the authorizer's own. The decision id is
   * not logged: it is the request id.
   */
  readonly riskBand?: string;
  /**
   * The risk score (0–100) behind `riskBand`; absent when the authorizer gave none. With the band, the access log is
   * the record of every decision: the authorizer's own decision line is written at INFO only for decisions that
   * have something to explain (see `decisionLine`).
   */
  readonly riskScore?: number;
  readonly label?: 'human' | 'bot';
}

/** REST API (v1) `$context` variables for each field. */
export const REST_ACCESS_LOG_FORMAT: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTimeEpoch: '$context.requestTimeEpoch',
  httpMethod: '$context.httpMethod',
  resource: '$context.resourcePath',
  path: '$context.path',
  status: '$context.status',
  responseLatency: '$context.responseLatency',
  userAgent: '$context.identity.userAgent',
  principalId: '$context.authorizer.principalId',
  tokenHash: '$context.authorizer.tokenHash',
  riskBand: '$context.authorizer.riskBand',
  riskScore: '$context.authorizer.riskScore',
};

/** HTTP API (v2) `$context` variables for each field. */
export const HTTP_ACCESS_LOG_FORMAT: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTimeEpoch: '$context.requestTimeEpoch',
  httpMethod: '$context.httpMethod',
  resource: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  responseLatency: '$context.responseLatency',
  userAgent: '$context.identity.userAgent',
  // HTTP APIs expose simple-response context keys only; the authorizer puts the subject in `sub`.
  principalId: '$context.authorizer.sub',
  tokenHash: '$context.authorizer.tokenHash',
  riskBand: '$context.authorizer.riskBand',
  riskScore: '$context.authorizer.riskScore',
};

/**
 * The JSON string to put in a stage's access-log format setting. Numbers stay unquoted where API Gateway always
 * has a value; an authorizer context value is quoted, since API Gateway writes `-` when the authorizer gave none.
 */
export function accessLogFormatString(format: Readonly<Record<string, string>>): string {
  const numeric = new Set(['requestTimeEpoch', 'status', 'responseLatency']);
  const parts = Object.entries(format).map(([key, variable]) =>
    numeric.has(key) ? `"${key}":${variable}` : `"${key}":"${variable}"`,
  );
  return `{${parts.join(',')}}`;
}
