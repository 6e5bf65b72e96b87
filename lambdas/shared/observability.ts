import { Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DecisionRecord, EngineTelemetry } from '../engine/engine';
import type { BlockRecord } from '../store/table-schema';
import { DecisionMetrics } from './decision-metrics';
import { METRIC_NAMESPACE, Metrics as Names } from './metric-names';

/** Per-container logger and metrics, shared by every module of a Lambda (Powertools: create once, at module scope). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'gatewarden' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRIC_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'gatewarden',
});

/** Decision metrics of this container (one aggregate, whichever telemetry instance records). */
export const decisionMetrics = new DecisionMetrics();

/**
 * The engine's telemetry over Powertools: one compact structured line per decision, decision metrics aggregated per
 * container (see `decision-metrics.ts`), rare events (store failures, blocks, surges) as their own lines and metrics.
 * Dimensions are bounded (bands, signal names, fail modes), never per client.
 */
export class PowertoolsTelemetry implements EngineTelemetry {
  constructor(
    private readonly log: Logger = logger,
    private readonly m: Metrics = metrics,
    private readonly aggregate: DecisionMetrics = decisionMetrics,
    private readonly namespace: string = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRIC_NAMESPACE,
    private readonly service: string = process.env.POWERTOOLS_SERVICE_NAME ?? 'gatewarden',
  ) {}

  decision(record: DecisionRecord): void {
    // Written directly, not through the Logger: the Lambda context keys the Logger appends would double the line,
    // and every request pays for it. The Logger's level still applies: a plain allow is DEBUG (the access log
    // holds it), POWERTOOLS_LOG_LEVEL=DEBUG writes every decision, WARN keeps refusals only.
    const line = decisionLine(record);
    if (LogLevelThreshold[line.level] >= this.log.level) process.stdout.write(`${JSON.stringify(line)}\n`);
    this.aggregate.record(record);
    // Flushed here, when due, rather than by the handler: any process that decides (Lambda, simulator, bench)
    // keeps the aggregate bounded by time.
    for (const document of this.aggregate.drain(Date.now(), this.namespace, this.service)) {
      process.stdout.write(`${JSON.stringify(document)}\n`);
    }
  }

  storeFailure(info: { failMode: 'open' | 'closed'; error: string; elapsedMs: number }): void {
    this.log.error('counter store unavailable; applying the route fail mode', { storeFailure: info });
    const s = this.m.singleMetric();
    s.addDimension('FailMode', info.failMode);
    s.addMetric(Names.StoreFailure, MetricUnit.Count, 1);
  }

  blockCreated(record: BlockRecord): void {
    this.log.warn('block recorded', { block: record });
    const s = this.m.singleMetric();
    s.addDimension('Scope', record.scope);
    s.addMetric(Names.BlockCreated, MetricUnit.Count, 1);
  }

  underAttack(engaged: boolean): void {
    this.log.warn(engaged ? 'distributed surge: under-attack mode engaged' : 'distributed surge over', {
      engaged,
    });
    if (engaged) this.m.addMetric(Names.UnderAttack, MetricUnit.Count, 1);
  }
}

/**
 * The decision's log line. An ordinary allow (band and effect allow, not fail-open) carries what joins it to the
 * access log and explains it: request id, route, client, score, signal names with contributions, latency. Every
 * other decision (flag, deny, block, 401, fail-open, a shadow-mode deny) carries the full record: each signal's
 * observed value, threshold and reason, the reason of the decision, the block. `decisionId` is written only when it
 * differs from `requestId`, `method` only when the route does not start with it, `mode` only in shadow mode.
 *
 * Levels: refusals WARN; allows with any signal contributing INFO; a plain allow (score 0, no signal) DEBUG. A plain
 * allow is most of an API's traffic and its line would say nothing the API's access log does not (request id,
 * client, subject, token hash, band and score, in the format Gatewarden installs): at INFO it would be a third of
 * the product's cost per request (bench: 264 of 630 log bytes, $0.13 of $1.09 per million).
 */
export function decisionLine(
  record: DecisionRecord,
): Record<string, unknown> & { level: 'DEBUG' | 'INFO' | 'WARN' } {
  const { decisionId, requestId, method, signals, mode, reason, latencyMs, ...rest } = record;
  const ordinary = record.band === 'allow' && record.effect === 'allow' && !record.failOpen;
  const plain = ordinary && record.score === 0 && signals.length === 0;
  return {
    level: record.effect !== 'allow' ? 'WARN' : plain ? 'DEBUG' : 'INFO',
    message: 'decision',
    requestId,
    ...(decisionId !== requestId ? { decisionId } : {}),
    ...(record.route.startsWith(`${method} `) ? {} : { method }),
    ...(mode === 'shadow' ? { mode } : {}),
    ...rest,
    ...(ordinary ? {} : { reason }),
    signals: ordinary ? signals.map((s) => `${s.name}:${s.contribution}`) : signals,
    latencyMs,
  };
}
