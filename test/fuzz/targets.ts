import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { WafIpSets } from '../../lambdas/adapters/waf-ip-sets';
import { createHttpHandler, createRestHandler } from '../../lambdas/authorizer/handler-factory';
import { type DecisionRecord, type EngineTelemetry, RiskEngine } from '../../lambdas/engine/engine';
import { parseIpSetArn } from '../../lambdas/ipset/ip-set-arn';
import { handler as feedbackLambda, setFeedbackStore } from '../../lambdas/log-feedback/handler';
import { resolvePolicy } from '../../lambdas/policy/policy';
import { PowertoolsTelemetry } from '../../lambdas/shared/observability';
import type { BlockRecord, BlockScope } from '../../lambdas/store/table-schema';
import { setWafUpdater, UnsupportedEventError, wafUpdaterHandler } from '../../lambdas/waf-updater/handler';
import { createWafUpdater } from '../../lambdas/waf-updater/updater';
import { subscriptionEvent } from '../../lib/local/cloudwatch-logs';
import { MemoryCounterStore } from '../../lib/local/memory-counter-store';
import type { TokenIssuer } from '../../lib/local/token-issuer';
import { mockWafClient, WafModel } from '../../lib/local/waf-model';
import { virtualClock } from '../helpers/virtual-clock';
import {
  hostileString,
  httpEventFrom,
  ipLike,
  type Mutation,
  mutate,
  mutation,
  requestParts,
  restEventFrom,
  tokenEventFrom,
  wrongEvent,
} from './arbitraries';

/**
 * The fuzz targets and their contracts, shared by `npm run fuzz` (100,000+ events) and the reduced suites in
 * `npm test`. A contract breach throws {@link ContractViolation}; fast-check then shrinks the event.
 */

export class ContractViolation extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ContractViolation';
  }
}

const fail = (message: string): never => {
  throw new ContractViolation(message);
};

/** A Lambda context good enough for middy and Powertools (kept here so the fuzz script needs no test helpers). */
export function fuzzContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'gatewarden-fuzz',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:gatewarden-fuzz',
    memoryLimitInMB: '256',
    awsRequestId: '8f1c2d3e-0000-4000-8000-000000000000',
    logGroupName: '/aws/lambda/gatewarden-fuzz',
    logStreamName: 'fuzz',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Authorizers

/** The fuzz policy: every route protected (so an Allow proves a valid token), login fails closed. */
export const FUZZ_POLICY = {
  mode: 'enforce',
  defaults: { failMode: 'open' },
  routes: [{ match: 'POST /login', failMode: 'closed' }],
};

export interface AuthorizerWorld {
  readonly rest: ReturnType<typeof createRestHandler>;
  readonly http: ReturnType<typeof createHttpHandler>;
  readonly validToken: string;
  /** Start of the window event times fall in (the valid token covers it). */
  readonly baseMs: number;
  readonly store: MemoryCounterStore;
  /** The engine's last decision record (cleared by the caller). */
  lastDecision: DecisionRecord | undefined;
}

/**
 * Both real handlers (real identity layer, real JWKS over loopback, real risk engine and Powertools logging and
 * metrics) over an in-memory counter store: DynamoDB Local would cap the run at a few hundred events a second.
 */
export async function createAuthorizerWorld(
  issuer: TokenIssuer,
  options: { readonly trustedProxyCount?: number; readonly logger?: Logger } = {},
): Promise<AuthorizerWorld> {
  const baseMs = Date.now();
  const s = Math.floor(baseMs / 1000);
  const validToken = await issuer.sign({ sub: 'fuzz-user', iat: s - 60, exp: s + 31 * 86_400 });
  const logger = options.logger ?? new Logger({ serviceName: 'gatewarden-fuzz', logLevel: 'INFO' });
  const metrics = new Metrics({ namespace: 'Gatewarden', serviceName: 'gatewarden-fuzz' });
  const store = new MemoryCounterStore();
  const powertools = new PowertoolsTelemetry(logger, metrics);
  const world: AuthorizerWorld = {
    rest: undefined as never,
    http: undefined as never,
    validToken,
    baseMs,
    store,
    lastDecision: undefined,
  };
  const telemetry: EngineTelemetry = {
    decision: (record) => {
      world.lastDecision = record;
      powertools.decision(record);
    },
    storeFailure: (info) => powertools.storeFailure(info),
    blockCreated: (record) => powertools.blockCreated(record),
    underAttack: (engaged) => powertools.underAttack(engaged),
  };
  const engine = new RiskEngine({ policy: resolvePolicy(FUZZ_POLICY), store, telemetry });
  const env = {
    ...issuer.env(),
    TRUSTED_PROXY_COUNT: String(options.trustedProxyCount ?? 0),
    // Keys fetched once; the fuzz run is not a JWKS test.
    JWKS_CACHE_TTL_SECONDS: '86400',
  };
  Object.assign(world, {
    rest: createRestHandler({ env, logger, createDecider: () => engine }),
    http: createHttpHandler({ env, logger, createDecider: () => engine }),
  });
  return world;
}

export type AuthorizerKind = 'rest' | 'http' | 'token';

export interface AuthorizerCase {
  readonly kind: AuthorizerKind;
  readonly event: unknown;
  /** Make the counter store fail for this event (the route's fail mode applies). */
  readonly storeDown: boolean;
  /** Pass a garbage Lambda context instead of a proper one. */
  readonly badContext: unknown;
}

/** Generated and mutated authorizer events for `world`. */
export function authorizerCase(
  world: Pick<AuthorizerWorld, 'validToken' | 'baseMs'>,
): fc.Arbitrary<AuthorizerCase> {
  const built = fc
    .record({
      kind: fc.constantFrom<AuthorizerKind>('rest', 'http', 'token'),
      parts: requestParts(world.validToken),
      mutations: fc.oneof(
        { arbitrary: fc.constant<Mutation[]>([]), weight: 3 },
        { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }), weight: 2 },
      ),
    })
    .map(({ kind, parts, mutations }) => {
      const event =
        kind === 'rest'
          ? restEventFrom(parts, world.baseMs)
          : kind === 'http'
            ? httpEventFrom(parts, world.baseMs)
            : tokenEventFrom(parts);
      // Non-string header values cannot go through the builders; put them back as Lambda could deliver them.
      const headers = (event as { headers?: Record<string, unknown> }).headers;
      if (headers)
        for (const [k, v] of Object.entries(parts.headers)) if (typeof v !== 'string') headers[k] = v;
      return {
        kind,
        event: mutations.length > 0 ? mutate(event, mutations) : JSON.parse(JSON.stringify(event)),
      };
    });
  const wrong = fc
    .record({ kind: fc.constantFrom<AuthorizerKind>('rest', 'http'), event: wrongEvent })
    .map(({ kind, event }) => ({ kind, event }));
  return fc
    .record({
      base: fc.oneof({ arbitrary: built, weight: 9 }, { arbitrary: wrong, weight: 1 }),
      storeDown: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      badContext: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 19 },
        { arbitrary: fc.jsonValue({ maxDepth: 1 }), weight: 1 },
      ),
    })
    .map(({ base, storeDown, badContext }) => ({ ...base, storeDown, badContext }));
}

export type AuthorizerOutcome = 'allow' | 'deny' | 'unauthorized';

function checkContext(context: unknown, where: string): void {
  if (typeof context !== 'object' || context === null || Array.isArray(context))
    fail(`${where}: context is not an object`);
  for (const [key, value] of Object.entries(context as Record<string, unknown>)) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!ok) fail(`${where}: context.${key} is ${typeof value}`);
  }
}

const carries = (event: unknown, token: string): boolean => JSON.stringify(event ?? null).includes(token);

/**
 * Runs one case through the handler and checks its contract: the only error is exactly `Unauthorized`; REST answers
 * are an IAM policy with a string principalId and one statement for the event's methodArn; HTTP answers are
 * `{isAuthorized: boolean, context}`; context values are strings, finite numbers or booleans; and nothing is ever
 * allowed without the valid token (every fuzz route is protected; fail-open skips scoring, never authentication).
 */
export async function runAuthorizerCase(
  world: AuthorizerWorld,
  c: AuthorizerCase,
): Promise<AuthorizerOutcome> {
  world.store.failing = c.storeDown;
  const context = (c.badContext ?? fuzzContext()) as Context;
  let result: unknown;
  try {
    result = c.kind === 'http' ? await world.http(c.event, context) : await world.rest(c.event, context);
  } catch (error) {
    if (!(error instanceof Error) || error.message !== 'Unauthorized' || error.name !== 'Error') {
      fail(`handler threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    return 'unauthorized';
  } finally {
    world.store.failing = false;
  }
  if (typeof result !== 'object' || result === null) return fail('answer is not an object');
  JSON.stringify(result);
  if (c.kind === 'http') {
    const { isAuthorized, context: ctx, ...rest } = result as Record<string, unknown>;
    if (typeof isAuthorized !== 'boolean') fail('HTTP: isAuthorized is not a boolean');
    if (Object.keys(rest).length > 0) fail(`HTTP: unexpected members ${Object.keys(rest).join(',')}`);
    checkContext(ctx, 'HTTP');
    if (isAuthorized && !carries(c.event, world.validToken)) fail('HTTP: authorized without the valid token');
    return isAuthorized ? 'allow' : 'deny';
  }
  const r = result as {
    principalId?: unknown;
    policyDocument?: {
      Version?: unknown;
      Statement?: { Action?: unknown; Effect?: unknown; Resource?: unknown }[];
    };
    context?: unknown;
  };
  if (typeof r.principalId !== 'string') fail('REST: principalId is not a string');
  const doc = r.policyDocument;
  if (doc?.Version !== '2012-10-17') fail('REST: policy Version');
  const statements = doc?.Statement;
  if (!Array.isArray(statements) || statements.length !== 1) return fail('REST: not exactly one statement');
  const statement = statements[0]!;
  if (statement.Action !== 'execute-api:Invoke') fail('REST: Action');
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') fail('REST: Effect');
  const methodArn = (c.event as { methodArn?: unknown }).methodArn;
  if (typeof methodArn !== 'string' || statement.Resource !== methodArn)
    fail('REST: Resource is not the methodArn');
  checkContext(r.context, 'REST');
  if (statement.Effect === 'Allow' && !carries(c.event, world.validToken))
    fail('REST: Allow without the valid token');
  return statement.Effect === 'Allow' ? 'allow' : 'deny';
}

// ---------------------------------------------------------------------------------------------------------------
// Log feedback

/** A valid Gatewarden access-log line object. */
const validLine = fc.record({
  requestId: fc.uuid(),
  ip: fc.oneof(fc.ipV4(), fc.ipV6()),
  requestTimeEpoch: fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }),
  httpMethod: fc.constantFrom('GET', 'POST', '-'),
  resource: fc.constantFrom('/items/{id}', '/login', '-'),
  path: fc.constantFrom('/items/1', '/login'),
  status: fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 405, 422, 429, 500, '404'),
  responseLatency: fc.oneof(fc.nat(5000), fc.constant('-')),
  userAgent: fc.string({ maxLength: 30 }),
  principalId: fc.oneof(
    fc.constant('-'),
    fc.constant('anonymous'),
    fc.string({ minLength: 1, maxLength: 20 }),
  ),
  tokenHash: fc.oneof(
    fc.constant('-'),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => n.toString(16).padStart(16, '0')),
  ),
  riskBand: fc.constantFrom('allow', 'flag', 'deny', 'block', '-'),
  label: fc.constantFrom('human', 'bot', 'cat'),
});

interface LineCase {
  readonly text: string;
  /** True when the line is certainly valid (it must be counted, not skipped). */
  readonly valid: boolean;
}

const lineCase: fc.Arbitrary<LineCase> = fc.oneof(
  { arbitrary: validLine.map((l) => ({ text: JSON.stringify(l), valid: true })), weight: 5 },
  {
    arbitrary: fc.tuple(validLine, fc.nat()).map(([l, cut]) => {
      const text = JSON.stringify(l);
      return { text: text.slice(0, cut % text.length), valid: false };
    }),
    weight: 2,
  },
  {
    arbitrary: fc
      .tuple(validLine, fc.constantFrom('ip', 'status', 'requestTimeEpoch'), fc.jsonValue({ maxDepth: 2 }))
      .map(([l, key, value]) => ({ text: JSON.stringify({ ...l, [key]: value }), valid: false })),
    weight: 2,
  },
  {
    arbitrary: fc
      .tuple(validLine, ipLike)
      .map(([l, ip]) => ({ text: JSON.stringify({ ...l, ip }), valid: false })),
    weight: 2,
  },
  {
    arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ text: JSON.stringify(v) ?? '', valid: false })),
    weight: 1,
  },
  { arbitrary: hostileString.map((text) => ({ text, valid: false })), weight: 1 },
  { arbitrary: fc.constant({ text: `${'['.repeat(50_000)}`, valid: false }), weight: 1 },
);

/** Built once: a gzip bomb that inflates past the handler's 8 MiB cap. */
let bomb: string | undefined;
const gzipBomb = (): string => {
  bomb ??= gzipSync(Buffer.alloc(9 * 1024 * 1024, 0x20)).toString('base64');
  return bomb;
};

export interface FeedbackCase {
  readonly event: unknown;
  /** `data`: a decodable DATA_MESSAGE with `lines`; `control`; `other`: undecodable or mutated. */
  readonly kind: 'data' | 'control' | 'other';
  readonly lines: number;
  readonly validLines: number;
  readonly storeDown: boolean;
}

const gz = (value: unknown): { awslogs: { data: string } } => ({
  awslogs: {
    data: gzipSync(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))).toString('base64'),
  },
});

export const feedbackCase: fc.Arbitrary<FeedbackCase> = fc
  .record({
    lines: fc.array(lineCase, { maxLength: 30 }),
    form: fc.constantFrom(
      'data',
      'data',
      'data',
      'data',
      'control',
      'garbage-json',
      'not-gzip',
      'not-base64',
      'shape',
      'bomb',
      'mutated',
      'wrong',
    ),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
    json: fc.jsonValue({ maxDepth: 3 }),
    text: hostileString,
    wrong: wrongEvent,
    storeDown: fc.boolean(),
  })
  .map(({ lines, form, mutations, json, text, wrong, storeDown }): FeedbackCase => {
    const data = subscriptionEvent(lines.map((l) => l.text));
    const base = { lines: lines.length, validLines: lines.filter((l) => l.valid).length, storeDown };
    switch (form) {
      case 'data':
        return { ...base, event: data, kind: 'data' };
      case 'control':
        return {
          ...base,
          event: gz({ messageType: 'CONTROL_MESSAGE', logEvents: [{ message: 'CWL CONTROL MESSAGE' }] }),
          kind: 'control',
        };
      case 'garbage-json':
        return { ...base, event: gz(`${text}{`), kind: 'other' };
      case 'not-gzip':
        return { ...base, event: { awslogs: { data: Buffer.from(text).toString('base64') } }, kind: 'other' };
      case 'not-base64':
        return { ...base, event: { awslogs: { data: text } }, kind: 'other' };
      case 'shape':
        return { ...base, event: gz({ messageType: json, logEvents: json }), kind: 'other' };
      case 'bomb':
        return { ...base, event: { awslogs: { data: gzipBomb() } }, kind: 'other' };
      case 'mutated':
        return { ...base, event: mutate(data, mutations), kind: 'other' };
      default:
        return { ...base, event: wrong, kind: 'other' };
    }
  });

export interface FeedbackWorld {
  readonly store: MemoryCounterStore;
}

export function createFeedbackWorld(): FeedbackWorld {
  const store = new MemoryCounterStore();
  setFeedbackStore(store);
  return { store };
}

/**
 * The feedback handler's contract: bad lines are skipped and counted (lines + badLines = the delivery's lines; every
 * valid line counted); an undecodable delivery is dropped without an error; it fails only when its store fails.
 */
export async function runFeedbackCase(world: FeedbackWorld, c: FeedbackCase): Promise<'ok' | 'store-failed'> {
  world.store.failing = c.storeDown;
  try {
    const result = (await feedbackLambda(c.event, fuzzContext())) as unknown as Record<string, unknown>;
    for (const key of ['lines', 'badLines', 'writes']) {
      if (!Number.isInteger(result[key]) || (result[key] as number) < 0)
        fail(`feedback: ${key} is ${String(result[key])}`);
    }
    if (c.kind === 'data') {
      if (c.storeDown) fail('feedback: resolved although the store failed');
      const { lines, badLines } = result as { lines: number; badLines: number };
      if (lines + badLines !== c.lines) fail(`feedback: ${lines} + ${badLines} lines counted of ${c.lines}`);
      if (lines < c.validLines) fail(`feedback: ${c.validLines} valid lines but only ${lines} counted`);
    }
    if (c.kind === 'control' && result.control !== true) fail('feedback: control message not recognised');
    return 'ok';
  } catch (error) {
    if (error instanceof ContractViolation) throw error;
    if (!c.storeDown || c.kind === 'control') {
      fail(
        `feedback: threw without a store failure: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    }
    return 'store-failed';
  } finally {
    world.store.failing = false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// WAF updater

type WafFault = 'none' | 'blocks' | 'get' | 'update' | 'lock' | 'throttle';

export interface WafCase {
  readonly event: unknown;
  readonly blocks: readonly BlockRecord[];
  readonly fault: WafFault;
  readonly faultTimes: number;
}

const NOW = 1_800_000_000;

const blockValue = fc.oneof(
  { arbitrary: fc.ipV4(), weight: 4 },
  { arbitrary: fc.ipV4().map((ip) => `${ip.split('.').slice(0, 3).join('.')}.0/24`), weight: 2 },
  { arbitrary: fc.ipV6(), weight: 1 },
  { arbitrary: ipLike, weight: 2 },
  { arbitrary: hostileString, weight: 1 },
);

const blockRecord: fc.Arbitrary<BlockRecord> = fc.record({
  scope: fc.constantFrom<BlockScope>('ip', 'ip', 'prefix', 'token', 'subject'),
  value: blockValue,
  createdAt: fc.constant(NOW - 60),
  expiresAt: fc.oneof(
    fc.integer({ min: NOW + 1, max: NOW + 86_400 }),
    fc.integer({ min: NOW - 86_400, max: NOW }),
  ),
  score: fc.integer({ min: 0, max: 100 }),
  reason: fc.string({ maxLength: 10 }),
  offences: fc.integer({ min: 1, max: 5 }),
  simulated: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
});

const streamRecord = fc.oneof(
  {
    arbitrary: fc
      .record({
        seq: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), fc.constant(undefined)),
        id: fc.oneof(fc.uuid(), fc.constant(undefined)),
        eventName: fc.constantFrom('INSERT', 'MODIFY', 'REMOVE', 'BOGUS'),
        sk: fc.constantFrom('block', 'block', 'counter', 'offences', 'BLOCK'),
        pk: hostileString,
      })
      .map(({ seq, id, eventName, sk, pk }) => ({
        eventID: id,
        eventName,
        eventSource: 'aws:dynamodb',
        dynamodb: {
          Keys: { pk: { S: pk }, sk: { S: sk } },
          SequenceNumber: seq,
          StreamViewType: 'KEYS_ONLY',
        },
      })),
    weight: 6,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).filter((v) => typeof v === 'object' && v !== null), weight: 1 },
);

export const wafCase: fc.Arbitrary<WafCase> = fc.record({
  event: fc.oneof(
    { arbitrary: fc.array(streamRecord, { maxLength: 8 }).map((Records) => ({ Records })), weight: 6 },
    {
      arbitrary: fc.constantFrom(
        { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
        { source: 'aws.scheduler' },
        { 'detail-type': 'Scheduled Event' },
      ),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(fc.array(streamRecord, { maxLength: 3 }), fc.array(mutation, { minLength: 1, maxLength: 3 }))
        .map(([Records, m]) => mutate({ Records }, m)),
      weight: 1,
    },
    { arbitrary: wrongEvent, weight: 1 },
  ),
  blocks: fc.array(blockRecord, { maxLength: 25 }),
  fault: fc.constantFrom<WafFault>(
    'none',
    'none',
    'none',
    'none',
    'blocks',
    'get',
    'update',
    'lock',
    'throttle',
  ),
  faultTimes: fc.integer({ min: 1, max: 12 }),
});

export interface WafWorld {
  readonly model: WafModel;
  readonly sets: { readonly v4: string; readonly v6: string };
  current: WafCase | undefined;
  restore(): void;
}

/** The real updater (real WafIpSets adapter) over the WAF model, in virtual time, with Powertools logging. */
export function createWafWorld(logger?: Logger): WafWorld {
  const clock = virtualClock();
  const model = new WafModel({ now: clock.now, maxUpdatesPerSecond: 1 });
  const v4 = model.createIpSet({ name: 'fuzz-v4', version: 'IPV4' });
  const v6 = model.createIpSet({ name: 'fuzz-v6', version: 'IPV6' });
  const stub = mockWafClient(model);
  const world: WafWorld = {
    model,
    sets: { v4: v4.arn, v6: v6.arn },
    current: undefined,
    restore: () => stub.restore(),
  };
  setWafUpdater(
    createWafUpdater({
      config: {
        tableName: 'fuzz',
        ipSets: { IPV4: [parseIpSetArn(v4.arn)], IPV6: [parseIpSetArn(v6.arn)] },
        highWater: 9_500,
        collapseMinEntries: 0,
      },
      activeBlocks: async (now) => {
        const c = world.current;
        if (c?.fault === 'blocks')
          throw Object.assign(new Error('ProvisionedThroughputExceededException'), {
            name: 'ProvisionedThroughputExceededException',
          });
        return { records: (c?.blocks ?? []).filter((b) => b.expiresAt > now), malformed: 0 };
      },
      writer: new WafIpSets({ clock, random: () => 0.5 }),
      logger: logger ?? new Logger({ serviceName: 'gatewarden-fuzz', logLevel: 'INFO' }),
      metrics: new Metrics({ namespace: 'Gatewarden', serviceName: 'gatewarden-fuzz' }),
      nowSeconds: () => NOW,
    }),
  );
  return world;
}

const wafError = (name: string) => () =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 400 } });

/** Addresses that must be in WAF after a successful run: active, enforced IPv4 hosts (scope ip) and /24s (scope prefix). */
function mustBeInWaf(blocks: readonly BlockRecord[]): string[] {
  return blocks
    .filter((b) => b.expiresAt > NOW && !b.simulated)
    .filter((b) =>
      b.scope === 'prefix'
        ? b.value.endsWith('.0/24') && ipaddr.IPv4.isValidFourPartDecimal(b.value.slice(0, -3))
        : b.scope === 'ip' &&
          ipaddr.IPv4.isValidFourPartDecimal(b.value) &&
          ipaddr.IPv4.parse(b.value).toString() === b.value,
    )
    .map((b) => b.value);
}

function covered(value: string, entries: readonly string[]): boolean {
  const address = ipaddr.IPv4.parse(value.replace(/\/24$/, ''));
  return entries.some((entry) => {
    try {
      const [net, bits] = ipaddr.IPv4.parseCIDR(entry);
      return address.match(net, bits) && (!value.endsWith('/24') || bits <= 24);
    } catch {
      return false;
    }
  });
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null;

/**
 * The updater's contract: it never loses a block record. A stream batch either succeeds with WAF holding every
 * active block, or reports every block record of the batch as failed (Lambda retries them), or throws (Lambda
 * retries the whole batch; allowed only for records that are not objects). A failure without an injected fault
 * (a poison record stopping all WAF updates) is a breach. Events of another kind are refused loudly.
 */
export async function runWafCase(
  world: WafWorld,
  c: WafCase,
): Promise<'synced' | 'reported' | 'threw' | 'refused' | 'ignored'> {
  world.current = c;
  world.model.clearFailures();
  if (c.fault === 'get')
    world.model.failNext('GetIPSet', wafError('WAFInternalErrorException'), c.faultTimes);
  if (c.fault === 'update')
    world.model.failNext('UpdateIPSet', wafError('WAFInvalidParameterException'), c.faultTimes);
  if (c.fault === 'lock')
    world.model.failNext('UpdateIPSet', wafError('WAFOptimisticLockException'), c.faultTimes);
  if (c.fault === 'throttle') world.model.failNext('*', wafError('ThrottlingException'), c.faultTimes);
  const event = c.event as { Records?: unknown } | null | undefined;
  const isStream = Array.isArray(event?.Records);
  const scheduled =
    !isStream &&
    isObject(event) &&
    ((event as Record<string, unknown>)['detail-type'] === 'Scheduled Event' ||
      (event as Record<string, unknown>).source === 'aws.events' ||
      (event as Record<string, unknown>).source === 'aws.scheduler');
  const synced = () => {
    const entries = world.model.addresses(world.sets.v4);
    const missing = mustBeInWaf(c.blocks).filter((v) => !covered(v, entries));
    if (missing.length > 0) fail(`WAF: succeeded but lost ${missing.join(', ')}`);
  };
  try {
    const result = await wafUpdaterHandler(c.event as never);
    if (!isStream && !scheduled) fail('WAF: an event of another kind was accepted');
    if (scheduled) {
      synced();
      return 'synced';
    }
    const records = event!.Records as unknown[];
    const blockIds = records
      .filter(
        (r) => (r as { dynamodb?: { Keys?: { sk?: { S?: unknown } } } })?.dynamodb?.Keys?.sk?.S === 'block',
      )
      .map((r) => {
        const rec = r as { dynamodb?: { SequenceNumber?: string }; eventID?: string };
        return rec.dynamodb?.SequenceNumber ?? rec.eventID ?? '';
      });
    const failures = (result?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
    if (blockIds.length === 0) {
      if (failures.length > 0) fail('WAF: failures reported for a batch without block records');
      return 'ignored';
    }
    if (failures.length === 0) {
      synced();
      return 'synced';
    }
    if (c.fault === 'none') fail(`WAF: batch failed with no fault injected (poison record?)`);
    const missing = blockIds.filter((id) => !failures.includes(id));
    if (missing.length > 0) fail(`WAF: block records neither applied nor reported: ${missing.join(', ')}`);
    return 'reported';
  } catch (error) {
    if (error instanceof ContractViolation) throw error;
    if (!isStream && !scheduled) {
      if (!(error instanceof UnsupportedEventError)) fail(`WAF: refused another event with ${String(error)}`);
      return 'refused';
    }
    if (scheduled) {
      if (c.fault === 'none')
        fail(`WAF: scheduled reconcile failed with no fault injected: ${String(error)}`);
      return 'threw';
    }
    const records = event!.Records as unknown[];
    if (records.every(isObject))
      fail(`WAF: stream batch threw: ${error instanceof Error ? error.message : String(error)}`);
    return 'threw';
  }
}
