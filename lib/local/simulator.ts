import type { AccessLogLine } from '../../lambdas/log-feedback/access-log-format';
import { restRequestEvent } from './events';
import { enforceRestResult, type GatewayOutcome } from './policy-enforcement';
import type { Scenario, SimRequest } from './scenarios';
import type { IssuerKey, TokenIssuer } from './token-issuer';

/** What the simulator drives: the real handlers, in-process. */
export interface SimTarget {
  /** The REST authorizer handler (`lambdas/authorizer/rest.ts`), called with a fixture-shaped event. */
  readonly rest?: (event: unknown) => Promise<unknown>;
  /**
   * Sends the request through a gateway instead (e.g. the local gateway over HTTP), which then builds the event,
   * enforces the answer and writes the access log itself. Exactly one of `rest` and `send` is required.
   */
  readonly send?: (
    request: SimRequest,
    atMs: number,
    headers: Record<string, string>,
  ) => Promise<SentOutcome>;
  /** Delivers access-log lines (the simulator batches them like CloudWatch Logs does). */
  readonly deliverLogs?: (lines: readonly AccessLogLine[]) => Promise<void>;
  readonly issuer: TokenIssuer;
  /** Called after each request (progress, WAF sync, ...). */
  readonly afterRequest?: (index: number, total: number, atMs: number) => Promise<void> | void;
}

/** What a gateway answered to a request sent with {@link SimTarget.send}. */
export interface SentOutcome {
  readonly status: number;
  /** True when Gatewarden refused the request (authorizer 401/403), not the backend. */
  readonly denied: boolean;
}

export interface SimOptions {
  /** Epoch ms of the scenario's first moment. DynamoDB Local expires TTL items by the real clock: run forward from now. */
  readonly startMs: number;
  /** Synthetic delay between a request and its access-log line reaching the feedback path. @default 5000 */
  readonly logDeliveryMs?: number;
  /** Passed to the scenario's generator: shrinks its durations (see {@link Scenario.generate}). @default 1 */
  readonly scale?: number;
}

export interface TimelinePoint {
  readonly at: number;
  readonly label: 'human' | 'bot';
  readonly status: number;
  /** Denied by Gatewarden (401/403 from the authorizer), as opposed to the backend's own answer. */
  readonly denied: boolean;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly description: string;
  readonly seed: number;
  readonly requests: number;
  readonly botRequests: number;
  readonly botDenied: number;
  /** Percentage of bot requests denied, counting from the bot's first request. */
  readonly botDeniedPct: number;
  /** Bot requests that got through before the first deny (undefined: never denied). */
  readonly requestsUntilFirstDeny: number | undefined;
  readonly humanRequests: number;
  readonly humanDenied: number;
  readonly humansAffected: number;
  readonly durationMs: number;
  readonly timeline: readonly TimelinePoint[];
}

const TOKEN_LIFETIME_S = 3600;

/**
 * Replays one scenario through the REST authorizer with synthetic times: builds each event like the official REST
 * REQUEST sample, enforces the returned policy as API Gateway would, writes the JSON access-log line, and delivers
 * log lines to the feedback path after `logDeliveryMs` of synthetic time.
 */
export async function runScenario(
  scenario: Scenario,
  seed: number,
  target: SimTarget,
  options: SimOptions,
): Promise<ScenarioResult> {
  if ((target.rest === undefined) === (target.send === undefined)) {
    throw new TypeError('runScenario: give the target exactly one of `rest` and `send`');
  }
  const requests = scenario.generate(seed, options.scale ?? 1);
  const tokens = new Map<string, { token: string; exp: number }>();
  let forgeKey: IssuerKey | undefined;
  const pending: AccessLogLine[] = [];
  const timeline: TimelinePoint[] = [];
  const delivery = options.logDeliveryMs ?? 5000;
  let botRequests = 0;
  let botDenied = 0;
  let firstDeny: number | undefined;
  let humanRequests = 0;
  let humanDenied = 0;
  const hurt = new Set<string>();

  let lastDelivery = Number.NEGATIVE_INFINITY;
  // CloudWatch Logs hands a subscription batches, not single lines: deliver once per `delivery` of synthetic time
  // everything written at least `delivery` ago.
  const flush = async (untilMs: number) => {
    if (!target.deliverLogs) return;
    if (untilMs !== Number.POSITIVE_INFINITY && untilMs - lastDelivery < delivery) return;
    lastDelivery = untilMs;
    const due: AccessLogLine[] = [];
    while (pending.length > 0 && pending[0]!.requestTimeEpoch <= untilMs - delivery)
      due.push(pending.shift()!);
    if (due.length > 0) await target.deliverLogs(due);
  };

  const record = (req: SimRequest, status: number, denied: boolean): void => {
    timeline.push({ at: req.at, label: req.label, status, denied });
    if (req.label === 'bot') {
      botRequests += 1;
      if (denied) {
        botDenied += 1;
        firstDeny ??= botRequests - 1;
      }
    } else {
      humanRequests += 1;
      if (denied) {
        humanDenied += 1;
        hurt.add(req.credential.kind === 'token' ? req.credential.subject : req.ip);
      }
    }
  };

  const authorization = async (req: SimRequest, atMs: number): Promise<string | undefined> => {
    const c = req.credential;
    if (c.kind === 'none') return undefined;
    const at = Math.floor(atMs / 1000);
    if (c.kind === 'forged') {
      forgeKey ??= await target.issuer.addKey({ kid: 'forger', alg: 'RS256', published: false });
      const payload = {
        iss: target.issuer.issuer,
        aud: target.issuer.audience,
        sub: `victim-${c.variant % 50}`,
        iat: at,
        exp: at + 300,
      };
      return `Bearer ${target.issuer.signRaw({ alg: 'RS256', typ: 'JWT', kid: target.issuer.keys[0]!.kid }, payload, forgeKey)}`;
    }
    const key = `${c.subject}|${c.session ?? ''}`;
    let cached = tokens.get(key);
    if (!cached || cached.exp - at < 120) {
      const token = await target.issuer.sign(
        { sub: c.subject, scope: 'read write', iat: at, exp: at + TOKEN_LIFETIME_S },
        { at },
      );
      cached = { token, exp: at + TOKEN_LIFETIME_S };
      tokens.set(key, cached);
    }
    return `Bearer ${cached.token}`;
  };

  for (let i = 0; i < requests.length; i += 1) {
    const req = requests[i]!;
    const atMs = options.startMs + req.at;
    await flush(atMs);
    const auth = await authorization(req, atMs);
    const headers: Record<string, string> = {
      ...(req.headers ?? {}),
      ...(auth ? { Authorization: auth } : {}),
    };
    if (target.send) {
      const sent = await target.send(req, atMs, headers);
      record(req, sent.status, sent.denied);
      await target.afterRequest?.(i, requests.length, atMs);
      continue;
    }
    const event = restRequestEvent({
      method: req.method,
      path: req.path,
      resource: req.resource,
      pathParameters: req.pathParameters ?? {},
      query: req.query ?? {},
      headers,
      sourceIp: req.ip,
      timeMs: atMs,
    });
    let result: unknown;
    let thrown: unknown;
    try {
      result = await target.rest!(event);
    } catch (error) {
      thrown = error ?? new Error('undefined error');
    }
    const outcome: GatewayOutcome = enforceRestResult(result, thrown, event.methodArn as string);
    const denied = outcome.status !== 200;
    const status = denied ? outcome.status : req.backendStatus;
    record(req, status, denied);
    const ctx = outcome.context;
    pending.push({
      requestId: String((event.requestContext as { requestId: string }).requestId),
      ip: req.ip,
      requestTimeEpoch: atMs,
      httpMethod: req.method,
      resource: req.resource,
      path: req.path,
      status,
      responseLatency: 5,
      userAgent: String(Object.entries(headers).find(([k]) => k.toLowerCase() === 'user-agent')?.[1] ?? ''),
      principalId: outcome.status === 200 ? outcome.principalId : '',
      tokenHash: typeof ctx.tokenHash === 'string' ? ctx.tokenHash : '',
      ...(typeof ctx.riskBand === 'string' ? { riskBand: ctx.riskBand } : {}),
      label: req.label,
    });
    await target.afterRequest?.(i, requests.length, atMs);
  }
  await flush(Number.POSITIVE_INFINITY);
  return {
    scenario: scenario.name,
    description: scenario.description,
    seed,
    requests: requests.length,
    botRequests,
    botDenied,
    botDeniedPct: botRequests > 0 ? Math.round((1000 * botDenied) / botRequests) / 10 : 0,
    requestsUntilFirstDeny: firstDeny,
    humanRequests,
    humanDenied,
    humansAffected: hurt.size,
    durationMs: requests.at(-1)?.at ?? 0,
    timeline,
  };
}
