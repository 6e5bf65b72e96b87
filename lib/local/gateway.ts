/**
 * A local API Gateway emulator on loopback (node:http) that runs Gatewarden's real handlers in-process:
 *
 * - requests under `/<restStage>/...` (default `/prod/...`) go to a REST API: a REQUEST authorizer event shaped like
 *   the official sample (`restRequestEvent`), the IAM policy enforced against the request's methodArn;
 * - every other path goes to an HTTP API (`$default` stage): a payload 2.0 authorizer event (`httpRequestEvent`), the
 *   simple response enforced;
 * - refusals are API Gateway's gateway responses as the CDK configures them (JSON `message`, `requestId`,
 *   `decisionId`, and the `x-amzn-ErrorType` header);
 * - allowed requests reach a small sample backend that receives the authorizer context; the routes that take a body
 *   (`POST /cart`, `/checkout`, `/login`) are Lambda proxy handlers wrapped in the body-inspection middleware when
 *   `bodyInspection` is given, so a probe in a body is counted and the authorizer denies the caller's next request;
 * - every request writes one JSON access-log line (the project's {@link AccessLogLine} format), delivered to the
 *   log-feedback path as CloudWatch Logs subscription events after `logDeliveryMs`;
 * - when a response shows a block, the WAF updater's reconcile runs (in the background, at most once per
 *   `wafMinIntervalMs`), and on `wafEveryMs` if set, as the stream trigger and the schedule do in AWS.
 *
 * Simulation headers (`x-gatewarden-sim-*`: request time, source IP, backend status, label) are honoured only with
 * `simulationHeaders: true`: the attack simulator uses them to replay minutes of synthetic traffic from thousands of
 * addresses in seconds over one loopback socket. They are stripped before the event is built.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { AccessLogLine } from '../../lambdas/log-feedback/access-log-format';
import { bodyInspection } from '../../lambdas/middleware';
import { subscriptionEvent } from './cloudwatch-logs';
import {
  type ApiShape,
  type HttpRequestShape,
  httpProxyEvent,
  httpRequestEvent,
  type ProxyRequestShape,
  restProxyEvent,
  restRequestEvent,
} from './events';
import { enforceHttpResult, enforceRestResult, type GatewayOutcome } from './policy-enforcement';

/** A Lambda handler as the gateway calls it. */
export type LocalHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Options of {@link startLocalGateway}. */
export interface LocalGatewayOptions {
  /** REST REQUEST authorizer (`createRestHandler`). */
  readonly rest: LocalHandler;
  /** HTTP API authorizer (`createHttpHandler`). */
  readonly http: LocalHandler;
  /** The log-feedback handler, called with CloudWatch Logs subscription events. @default none (logs only kept) */
  readonly feedback?: (event: { awslogs: { data: string } }) => Promise<unknown>;
  /** Every access-log line as written (e.g. to a file). */
  readonly accessLog?: (line: AccessLogLine) => void;
  /** Runs the WAF updater's full reconcile. @default none */
  readonly wafReconcile?: () => Promise<unknown>;
  /** Reconcile at most this often after blocks appear (real ms). @default 1000 */
  readonly wafMinIntervalMs?: number;
  /** Also reconcile on this schedule (real ms), as the scheduled rule does. @default off */
  readonly wafEveryMs?: number;
  /** Delay between a request and its log line reaching the feedback path, in request time. @default 5000 */
  readonly logDeliveryMs?: number;
  /** Honour the `x-gatewarden-sim-*` headers (simulator only). @default false */
  readonly simulationHeaders?: boolean;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** REST API stage, the first path segment of REST requests. @default 'prod' */
  readonly restStage?: string;
  readonly api?: Omit<ApiShape, 'stage'>;
  /**
   * Options of the body-inspection middleware the body-taking backend routes run behind (a `store` is the usual
   * choice locally). @default none: those routes read their body without it
   */
  readonly bodyInspection?: Parameters<typeof bodyInspection>[0];
}

/** Counters for reports and tests. */
export interface LocalGatewayStats {
  requests: number;
  allowed: number;
  unauthorized: number;
  forbidden: number;
  errors: number;
  logLinesDelivered: number;
  wafReconciles: number;
  wafFailures: number;
}

/** A running gateway. */
export interface LocalGateway {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** `${url}/${restStage}`: the REST API's base URL. */
  readonly restUrl: string;
  readonly stats: LocalGatewayStats;
  /** The gateway's clock (epoch ms): the latest request time seen, or now. Synthetic under simulation. */
  now(): number;
  /** Every event handed to an authorizer, when `recordEvents` is on (tests check their shapes). */
  readonly events: { rest: unknown[]; http: unknown[]; recordEvents: boolean };
  /** Delivers every pending log line and runs a last WAF reconcile if blocks appeared. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** The header names of the simulation hooks. */
export const SIM_HEADERS = {
  time: 'x-gatewarden-sim-time',
  sourceIp: 'x-gatewarden-sim-source-ip',
  backendStatus: 'x-gatewarden-sim-backend-status',
  label: 'x-gatewarden-sim-label',
} as const;

/** The gateway could not start; the message says what to do. */
export class LocalGatewayError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalGatewayError';
  }
}

interface Route {
  readonly method: string;
  readonly resource: string;
  readonly pattern: RegExp;
  readonly params: readonly string[];
  readonly backend: (ctx: BackendRequest) => { status: number; body: unknown };
  /** The route takes a request body: its backend is a proxy-integration Lambda (see `bodyInspection`). */
  readonly takesBody: boolean;
}

interface BackendRequest {
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: string;
  readonly authorizer: Record<string, unknown>;
}

function route(method: string, resource: string, backend: Route['backend']): Route {
  const takesBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  const params: string[] = [];
  const pattern = new RegExp(
    `^${resource.replace(/\{(\w+)\}/g, (_, name: string) => {
      params.push(name);
      return '([^/]+)';
    })}$`,
  );
  return { method, resource, pattern, params, backend, takesBody };
}

const caller = (a: Record<string, unknown>) => ({
  principalId: a.principalId ?? a.sub ?? 'anonymous',
  riskScore: a.riskScore,
  riskBand: a.riskBand,
  decisionId: a.decisionId,
});

const item = ({ pathParameters, authorizer }: BackendRequest) => {
  const id = Number(pathParameters.id);
  if (!Number.isInteger(id) || id < 1 || id > 100_000)
    return { status: 404, body: { message: 'item not found' } };
  return {
    status: 200,
    body: { id, name: `item ${id}`, price: (id % 97) + 0.99, caller: caller(authorizer) },
  };
};
const list = ({ query, authorizer }: BackendRequest) => {
  const page = Math.max(1, Number(query.page ?? 1) || 1);
  const items = Array.from({ length: 5 }, (_, i) => ({ id: (page - 1) * 5 + i + 1 }));
  return { status: 200, body: { page, items, caller: caller(authorizer) } };
};

/**
 * The sample backend: a small shop. `/login` is public (the policy says so) and accepts one demo password;
 * `/admin/backup` exists only as a honeypot.
 */
const ROUTES: readonly Route[] = [
  route('GET', '/items/{id}', item),
  route('HEAD', '/items/{id}', item),
  route('GET', '/items', list),
  route('HEAD', '/items', list),
  route('GET', '/catalog', list),
  route('GET', '/cart', ({ authorizer }) => ({
    status: 200,
    body: { items: [], caller: caller(authorizer) },
  })),
  route('POST', '/cart', ({ body, authorizer }) => {
    let line: { id?: unknown; quantity?: unknown };
    try {
      line = JSON.parse(body || '{}') as typeof line;
    } catch {
      return { status: 400, body: { message: 'expected a JSON body {"id","quantity"}' } };
    }
    return {
      status: 200,
      body: { added: { id: line.id, quantity: line.quantity ?? 1 }, caller: caller(authorizer) },
    };
  }),
  route('POST', '/checkout', ({ authorizer }) => ({
    status: 200,
    body: { orderId: randomUUID(), caller: caller(authorizer) },
  })),
  route('POST', '/login', ({ body }) => {
    let password: unknown;
    try {
      password = (JSON.parse(body || '{}') as { password?: unknown }).password;
    } catch {
      return { status: 400, body: { message: 'expected a JSON body {"username","password"}' } };
    }
    return password === 'correct horse battery staple'
      ? { status: 200, body: { message: 'welcome' } }
      : { status: 401, body: { message: 'wrong username or password' } };
  }),
  route('GET', '/admin/backup', () => ({ status: 200, body: { backup: 'nothing to see here' } })),
];

function matchRoute(
  method: string,
  path: string,
): { route: Route; pathParameters: Record<string, string> } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const pathParameters: Record<string, string> = {};
    r.params.forEach((name, i) => {
      pathParameters[name] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { route: r, pathParameters };
  }
  return undefined;
}

/** Request headers with the client's own spelling; repeated headers joined with `,` as API Gateway does. */
function clientHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const names = new Map<string, string>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    const existing = names.get(lower);
    if (existing === undefined) {
      names.set(lower, name);
      out[name] = value;
    } else {
      out[existing] = `${out[existing]},${value}`;
    }
  }
  return out;
}

function lambdaContext(name: string): Context {
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The body-taking routes as API Gateway would run them: a Lambda proxy integration (REST or HTTP API payload 2.0
 * event, the authorizer's context inside) whose handler is wrapped in the body-inspection middleware.
 */
function proxyIntegration(
  inspection: NonNullable<LocalGatewayOptions['bodyInspection']>,
  restApi: ApiShape,
  httpApi: ApiShape | undefined,
): (
  route: Route,
  isRest: boolean,
  request: ProxyRequestShape & { readonly authorizer: Record<string, unknown> },
) => Promise<{ status: number; body: unknown }> {
  const routes = new WeakMap<object, { route: Route; authorizer: Record<string, unknown> }>();
  const lambda = middy(async (event: Record<string, unknown>) => {
    const { route: r, authorizer } = routes.get(event)!;
    const raw = typeof event.body === 'string' ? event.body : '';
    const answer = r.backend({
      pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
      query: (event.queryStringParameters ?? {}) as Record<string, string>,
      body: event.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw,
      authorizer,
    });
    return { statusCode: answer.status, body: JSON.stringify(answer.body) };
  }).use(bodyInspection(inspection));
  return async (route, isRest, request) => {
    const event = isRest ? restProxyEvent(request, restApi) : httpProxyEvent(request, httpApi);
    routes.set(event, { route, authorizer: request.authorizer });
    const out = (await lambda(event, lambdaContext(`shop-${route.method.toLowerCase()}`))) as {
      statusCode: number;
      body: string;
    };
    return { status: out.statusCode, body: JSON.parse(out.body) as unknown };
  };
}

/** Starts the gateway on 127.0.0.1. @throws {LocalGatewayError} when the port is taken. */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const restStage = options.restStage ?? 'prod';
  const delivery = options.logDeliveryMs ?? 5000;
  const wafMinInterval = options.wafMinIntervalMs ?? 1000;
  const stats: LocalGatewayStats = {
    requests: 0,
    allowed: 0,
    unauthorized: 0,
    forbidden: 0,
    errors: 0,
    logLinesDelivered: 0,
    wafReconciles: 0,
    wafFailures: 0,
  };
  const events = { rest: [] as unknown[], http: [] as unknown[], recordEvents: false };
  const pending: AccessLogLine[] = [];
  // The latest request time seen: synthetic under simulation, so delivery follows the traffic's own clock.
  let latestTime = 0;
  let deliveryChain: Promise<void> = Promise.resolve();

  const deliverDue = (untilMs: number): Promise<void> => {
    deliveryChain = deliveryChain.then(async () => {
      if (!options.feedback) {
        pending.length = 0;
        return;
      }
      const due: AccessLogLine[] = [];
      while (pending.length > 0 && pending[0]!.requestTimeEpoch <= untilMs - delivery)
        due.push(pending.shift()!);
      if (due.length === 0) return;
      try {
        await options.feedback(subscriptionEvent(due.map((l) => JSON.stringify(l))));
        stats.logLinesDelivered += due.length;
      } catch (error) {
        // CloudWatch Logs would retry the delivery; locally it is reported and dropped.
        console.error(`local gateway: log feedback failed: ${(error as Error).message}`);
      }
    });
    return deliveryChain;
  };

  // WAF: reconcile in the background, never two at once, at most once per interval.
  let wafDirty = false;
  let wafRunning: Promise<void> | undefined;
  let wafLast = 0;
  let wafTimer: NodeJS.Timeout | undefined;
  const runWaf = (): Promise<void> => {
    if (!options.wafReconcile) return Promise.resolve();
    if (wafRunning) return wafRunning;
    wafDirty = false;
    wafLast = Date.now();
    wafRunning = options
      .wafReconcile()
      .then(
        () => {
          stats.wafReconciles += 1;
        },
        (error: unknown) => {
          stats.wafFailures += 1;
          console.error(`local gateway: WAF reconcile failed: ${(error as Error).message}`);
        },
      )
      .finally(() => {
        wafRunning = undefined;
      });
    return wafRunning;
  };
  const blocksChanged = (): void => {
    wafDirty = true;
    if (wafRunning || wafTimer) return;
    const wait = Math.max(0, wafLast + wafMinInterval - Date.now());
    wafTimer = setTimeout(() => {
      wafTimer = undefined;
      if (wafDirty) void runWaf().then(() => (wafDirty ? blocksChanged() : undefined));
    }, wait);
  };
  const schedule = options.wafEveryMs ? setInterval(() => void runWaf(), options.wafEveryMs) : undefined;
  schedule?.unref();

  const proxyBackend = options.bodyInspection
    ? proxyIntegration(options.bodyInspection, { ...options.api, stage: restStage }, options.api)
    : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests += 1;
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = clientHeaders(req);
    const sim: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (!lower.startsWith('x-gatewarden-sim-')) continue;
      delete headers[name];
      if (options.simulationHeaders) sim[lower] = value;
    }
    const simTime = Number(sim[SIM_HEADERS.time]);
    const timeMs = Number.isFinite(simTime) && simTime > 0 ? simTime : Date.now();
    latestTime = Math.max(latestTime, timeMs);
    const socketIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const sourceIp = sim[SIM_HEADERS.sourceIp] ?? socketIp;
    const requestId = randomUUID();
    const body = await readBody(req).catch(() => '');

    // API Gateway: REST under /<stage>/..., HTTP API ($default stage) elsewhere.
    const isRest = url.pathname === `/${restStage}` || url.pathname.startsWith(`/${restStage}/`);
    const path = isRest ? url.pathname.slice(restStage.length + 1) || '/' : url.pathname;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const found = matchRoute(method, path);

    const send = (status: number, payload: unknown, extra: Record<string, string> = {}): void => {
      const text = JSON.stringify(payload);
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId,
        ...extra,
      });
      res.end(method === 'HEAD' ? undefined : text);
    };
    const log = (status: number, outcome: GatewayOutcome | undefined): void => {
      const ctx = outcome?.context ?? {};
      const principal = outcome?.status === 200 ? (isRest ? outcome.principalId : String(ctx.sub ?? '')) : '';
      const line: AccessLogLine = {
        requestId,
        ip: sourceIp,
        requestTimeEpoch: timeMs,
        httpMethod: method,
        resource: found ? (isRest ? found.route.resource : `${method} ${found.route.resource}`) : path,
        path: isRest ? `/${restStage}${path}` : path,
        status,
        responseLatency: Math.round(performance.now() - started),
        userAgent: Object.entries(headers).find(([k]) => k.toLowerCase() === 'user-agent')?.[1] ?? '',
        principalId: principal,
        tokenHash: typeof ctx.tokenHash === 'string' ? ctx.tokenHash : '',
        ...(typeof ctx.riskBand === 'string' ? { riskBand: ctx.riskBand } : {}),
        ...(typeof ctx.riskScore === 'number' ? { riskScore: ctx.riskScore } : {}),
        ...(sim[SIM_HEADERS.label] === 'human' || sim[SIM_HEADERS.label] === 'bot'
          ? { label: sim[SIM_HEADERS.label] as 'human' | 'bot' }
          : {}),
      };
      pending.push(line);
      options.accessLog?.(line);
    };

    await deliverDue(timeMs);

    if (!found) {
      // No such route: API Gateway answers without calling the authorizer.
      const status = isRest ? 403 : 404;
      send(status, { message: isRest ? 'Missing Authentication Token' : 'Not Found' });
      log(status, undefined);
      return;
    }

    const shape: HttpRequestShape = {
      method,
      path,
      resource: found.route.resource,
      pathParameters: found.pathParameters,
      query,
      headers,
      sourceIp,
      timeMs,
      requestId,
    };
    const event = isRest
      ? restRequestEvent(shape, { ...options.api, stage: restStage })
      : httpRequestEvent(shape, options.api);
    if (events.recordEvents) (isRest ? events.rest : events.http).push(event);
    let result: unknown;
    let thrown: unknown;
    try {
      result = await (isRest ? options.rest : options.http)(
        event,
        lambdaContext(isRest ? 'gatewarden-rest-authorizer' : 'gatewarden-http-authorizer'),
      );
    } catch (error) {
      thrown = error ?? new Error('undefined error');
    }
    const outcome = isRest
      ? enforceRestResult(result, thrown, event.methodArn as string)
      : enforceHttpResult(result, thrown);
    if (outcome.context.riskBand === 'block') blocksChanged();

    if (outcome.status !== 200) {
      // The gateway responses the CDK configures (lib/constructs/gateway-responses.ts).
      const ctx = outcome.context;
      const errorType =
        outcome.status === 401
          ? 'UnauthorizedException'
          : outcome.status === 403
            ? 'AccessDeniedException'
            : 'AuthorizerFailureException';
      const message =
        outcome.status === 401
          ? 'Unauthorized'
          : outcome.status === 403
            ? 'Forbidden'
            : 'Internal server error';
      if (outcome.status === 401) stats.unauthorized += 1;
      else if (outcome.status === 403) stats.forbidden += 1;
      else stats.errors += 1;
      send(
        outcome.status,
        {
          message,
          requestId,
          ...(outcome.status === 403
            ? { decisionId: String(ctx.decisionId ?? ''), retryAfter: String(ctx.retryAfter ?? '') }
            : {}),
        },
        { 'x-amzn-errortype': errorType },
      );
      log(outcome.status, outcome);
      return;
    }

    stats.allowed += 1;
    const authorizer = { ...(isRest ? { principalId: outcome.principalId } : {}), ...outcome.context };
    const answer =
      proxyBackend && found.route.takesBody
        ? await proxyBackend(found.route, isRest, { ...shape, body, authorizer })
        : found.route.backend({ pathParameters: found.pathParameters, query, body, authorizer });
    const forced = Number(sim[SIM_HEADERS.backendStatus]);
    const status = Number.isInteger(forced) && forced >= 100 && forced <= 599 ? forced : answer.status;
    send(status, status === answer.status ? answer.body : { message: `status ${status}` });
    log(status, outcome);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      stats.errors += 1;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal server error', detail: String(error) }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new LocalGatewayError(
              `port ${options.port} on 127.0.0.1 is in use: stop the process holding it (e.g. "lsof -i :${options.port}") or choose another port with --port`,
              { cause: error },
            )
          : new LocalGatewayError(`local gateway could not start: ${error.message}`, { cause: error }),
      ),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    restUrl: `${url}/${restStage}`,
    stats,
    events,
    now: () => Math.max(Date.now(), latestTime),
    async settle() {
      await deliverDue(Number.POSITIVE_INFINITY);
      if (wafTimer) {
        clearTimeout(wafTimer);
        wafTimer = undefined;
      }
      await wafRunning;
      if (wafDirty || options.wafReconcile) await runWaf();
    },
    close: async () => {
      if (schedule) clearInterval(schedule);
      if (wafTimer) clearTimeout(wafTimer);
      await wafRunning;
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
