import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj, Request } from '@middy/core';
import { createRequestPathClient, DynamoCounterStore } from '../../adapters/dynamo-counter-store';
import type { CounterStore } from '../../engine/ports';
import { Metrics as Names } from '../../shared/metric-names';
import { logger as sharedLogger, metrics as sharedMetrics } from '../../shared/observability';
import { type ParsedBody, parseBody } from './body';
import { type BodyCaller, callerOf } from './caller';
import { type BodyInspectionConfig, type BodyInspectionOptions, resolveBodyInspectionConfig } from './config';
import { type BodyHit, findBodyHits, hitUpdates } from './hits';

export type { BodyFormat, BodyLimits, BodyPart, ParsedBody } from './body';
export { parseBody } from './body';
export type { BodyCaller } from './caller';
export { callerOf } from './caller';
export type { BodyInspectionConfig, BodyInspectionOptions } from './config';
export {
  BodyInspectionConfigError,
  isBodyInspectionConfigError,
  resolveBodyInspectionConfig,
} from './config';
export type { BodyHit } from './hits';
export { findBodyHits, hitUpdates } from './hits';

/** What the middleware found in one event. */
export interface BodyInspection {
  readonly caller: BodyCaller;
  readonly body: ParsedBody;
  readonly hits: readonly BodyHit[];
}

/** Where the middleware logs: a Powertools Logger fits. */
export interface BodyInspectionLogger {
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/** Where it counts: a Powertools Metrics fits (one EMF line per event: hits and store failures are rare). */
export type BodyInspectionMetrics = Pick<Metrics, 'singleMetric'>;

/** Parses the event's body and runs the authorizer's detector on it. Pure; never throws on any event. */
export function inspectProxyEvent(
  event: unknown,
  config: Pick<
    BodyInspectionConfig,
    'maxBodyBytes' | 'maxDepth' | 'maxFields' | 'trustedProxyCount' | 'clock'
  >,
): BodyInspection {
  const caller = callerOf(event, config.trustedProxyCount, config.clock);
  const body = parseBody(event, caller.headers['content-type'], {
    maxBytes: config.maxBodyBytes,
    maxDepth: config.maxDepth,
    maxFields: config.maxFields,
  });
  return { caller, body, hits: body.parts.length > 0 ? findBodyHits(body.parts) : [] };
}

/** The generic answer of a rejected request: nothing about what was found. */
function rejection(status: 400 | 403): { statusCode: number; headers: Record<string, string>; body: string } {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: status === 400 ? 'Bad Request' : 'Forbidden' }),
  };
}

/**
 * Middy middleware for backend Lambdas behind API Gateway (REST API proxy events and HTTP API payload 2.0): runs the
 * authorizer's malicious-input detector on the request body and records a request with hits on the caller's counters
 * in the Gatewarden table — one coalesced update per counter item, none for a clean body — so the authorizer denies
 * the caller's next request (and blocks on repeats). The write runs while the handler does and is awaited before the
 * response leaves. It never logs the body (families and field paths only), never blocks the request unless `onHit`
 * is `reject`, and fails open: a store failure or an unexpected error is logged and counted, and the handler runs.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import { bodyInspection } from './lambdas/middleware';
 * export const handler = middy(checkout).use(bodyInspection());
 * ```
 * @throws {BodyInspectionConfigError} at creation when an option or GATEWARDEN_TABLE / TRUSTED_PROXY_COUNT is invalid
 */
export function bodyInspection(
  options: BodyInspectionOptions & {
    /** @default the shared Gatewarden logger */
    readonly logger?: BodyInspectionLogger;
    /** @default the shared Gatewarden metrics (namespace Gatewarden) */
    readonly metrics?: BodyInspectionMetrics;
  } = {},
): MiddlewareObj {
  const { logger: log = sharedLogger, metrics = sharedMetrics, ...rest } = options;
  const config = resolveBodyInspectionConfig(rest);
  let store: CounterStore | undefined = config.store;
  // Built once per container, on first use: a clean body costs no client at all.
  const storeOf = (): CounterStore => {
    store ??= new DynamoCounterStore({
      tableName: config.tableName!,
      client: createRequestPathClient(config.storeTimeoutMs),
      ...(config.regions ? { regions: config.regions } : {}),
    });
    return store;
  };
  const writes = new WeakMap<Request, Promise<void>>();

  const count = (name: string, dimension?: [string, string]): void => {
    try {
      const m = metrics.singleMetric();
      if (dimension) m.addDimension(dimension[0], dimension[1]);
      m.addMetric(name, MetricUnit.Count, 1);
    } catch (error) {
      // A metric is never worth the backend's request.
      log.error('body inspection: metric not emitted', { metric: name, error: String(error) });
    }
  };

  /** Writes the hit; resolves whatever happens (fail open). */
  const record = async (found: BodyInspection): Promise<void> => {
    const updates = hitUpdates(found.caller, found.caller.timeMs / 1000);
    if (updates.length === 0) return;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), config.storeTimeoutMs);
    try {
      await storeOf().applyUpdates(updates, controller.signal);
    } catch (error) {
      log.error('body inspection: counter store unavailable; the hit was not recorded', {
        requestId: found.caller.requestId,
        error: String((error as Error)?.message ?? error),
      });
      count(Names.BodyInspectionStoreFailure);
    } finally {
      clearTimeout(timer);
    }
  };

  const before = async (request: Request): Promise<unknown> => {
    let found: BodyInspection;
    try {
      found = inspectProxyEvent(request.event, config);
    } catch (error) {
      // Unreachable by design (parsing is guarded); kept so a future edit cannot fail the backend's request.
      log.error('body inspection failed; the request goes on uninspected', { error: String(error) });
      count(Names.BodyInspectionError);
      return undefined;
    }
    if (found.hits.length === 0) return undefined;
    log.warn('malicious input in request body', {
      requestId: found.caller.requestId,
      families: [...new Set(found.hits.map((h) => h.family))],
      fields: found.hits.map((h) => `${h.family}@${h.field}`),
      format: found.body.format,
      ...(found.body.oversize ? { oversize: true } : {}),
      ...(found.body.truncated ? { truncated: true } : {}),
      ...(found.body.malformed ? { malformed: true } : {}),
      onHit: config.onHit,
    });
    for (const family of new Set(found.hits.map((h) => h.family))) count(Names.BodyProbe, ['Family', family]);
    const write = record(found);
    if (config.onHit === 'reject') {
      await write;
      return rejection(config.rejectStatus);
    }
    writes.set(request, write);
    return undefined;
  };

  /** The write must finish before the response leaves: a frozen Lambda would drop it. */
  const settle = async (request: Request): Promise<void> => {
    const write = writes.get(request);
    if (!write) return;
    writes.delete(request);
    await write;
  };

  return { before, after: settle, onError: settle };
}
