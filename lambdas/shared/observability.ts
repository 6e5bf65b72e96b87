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
  ) {}

  decision(record: DecisionRecord): void {
    // One line per decision: the EMF blob of the band count carries the decision record as metadata (searchable in
    // Logs Insights as `decision.*`), so logging it separately would double the ingestion cost.
    const byBand = this.m.singleMetric();
    byBand.addDimension('Band', record.band);
    byBand.addMetadata('message', 'decision');
    byBand.addMetadata('decision', record as unknown as string);
    byBand.addMetric(Names.Decision, MetricUnit.Count, 1);
    for (const s of record.signals) {
      const sig = this.m.singleMetric();
      sig.addDimension('Signal', s.name);
      sig.addMetric(Names.SignalFired, MetricUnit.Count, 1);
    }
    if (record.authFailure) {
      const f = this.m.singleMetric();
      f.addDimension('Reason', record.authFailure);
      f.addMetric(Names.AuthFailure, MetricUnit.Count, 1);
    }
    this.m.addMetric(Names.DecisionLatency, MetricUnit.Milliseconds, record.latencyMs);
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
