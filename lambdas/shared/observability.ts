import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DecisionRecord, EngineTelemetry } from '../engine/engine';
import type { BlockRecord } from '../store/table-schema';
import { METRIC_NAMESPACE, Metrics as Names } from './metric-names';

/** Per-container logger and metrics, shared by every module of a Lambda (Powertools: create once, at module scope). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'gatewarden' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRIC_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'gatewarden',
});

/**
 * The engine's telemetry over Powertools: one structured log line per decision, EMF metrics by band and signal.
 * Dimensions are bounded (bands, signal names, fail modes), never per client.
 */
export class PowertoolsTelemetry implements EngineTelemetry {
  constructor(
    private readonly log: Logger = logger,
    private readonly m: Metrics = metrics,
    private readonly namespace: string = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRIC_NAMESPACE,
    private readonly service: string = process.env.POWERTOOLS_SERVICE_NAME ?? 'gatewarden',
  ) {}

  decision(record: DecisionRecord): void {
    // One line per decision: an EMF blob that counts the decision by band (and in total), records its latency, and
    // carries the decision record itself (searchable in Logs Insights as `decision.*`). Logging the record
    // separately would double the ingestion cost of every request.
    process.stdout.write(`${JSON.stringify(decisionLine(record, this.namespace, this.service))}\n`);
    for (const sig of record.signals) {
      const m = this.m.singleMetric();
      m.addDimension('Signal', sig.name);
      m.addMetric(Names.SignalFired, MetricUnit.Count, 1);
    }
    if (record.authFailure) {
      const f = this.m.singleMetric();
      f.addDimension('Reason', record.authFailure);
      f.addMetric(Names.AuthFailure, MetricUnit.Count, 1);
    }
    if (record.failOpen) this.m.addMetric(Names.FailOpen, MetricUnit.Count, 1);
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
 * The decision's EMF line (CloudWatch embedded metric format): `Decision` and `DecisionLatency` under the dimension
 * sets {service, Band} and {service}, with the decision record beside them.
 */
export function decisionLine(
  record: DecisionRecord,
  namespace: string,
  service: string,
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [['service', 'Band'], ['service']],
          Metrics: [
            { Name: Names.Decision, Unit: 'Count' },
            { Name: Names.DecisionLatency, Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    service,
    Band: record.band,
    [Names.Decision]: 1,
    [Names.DecisionLatency]: record.latencyMs,
    level: record.effect === 'allow' ? 'INFO' : 'WARN',
    message: 'decision',
    decision: record,
  };
}
