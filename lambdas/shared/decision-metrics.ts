import type { DecisionRecord } from '../engine/engine';
import { Metrics as Names } from './metric-names';

/**
 * Decision metrics aggregated per container and written as a few EMF documents at a time, instead of one EMF blob
 * (and one more per fired signal) on every decision: at a busy API the metric definitions alone cost more log
 * ingestion than the decision itself. Pure: no SDK, no I/O; the caller writes what {@link drain} returns.
 *
 * Trade-off: counts wait in memory until the next flush. A flush happens with a decision once
 * {@link FLUSH_INTERVAL_MS} has passed since the last one (at once for the first decision of a quiet container), or
 * {@link URGENT_FLUSH_INTERVAL_MS} when a non-allow decision is waiting. A container that is shut down while idle
 * loses what it had not flushed: at most the last 10 s of allowed decisions, or 1 s of the others. The decision log
 * lines themselves are never held back.
 */
export const FLUSH_INTERVAL_MS = 10_000;
export const URGENT_FLUSH_INTERVAL_MS = 1_000;
/** EMF accepts at most 100 values per metric in one document. */
const MAX_VALUES_PER_DOCUMENT = 100;

type Dimension = readonly [name: string, value: string] | undefined;

export class DecisionMetrics {
  private readonly counts = new Map<string, { metric: string; dimension: Dimension; n: number }>();
  private latencies: number[] = [];
  private urgent = false;
  private lastFlushMs = Number.NEGATIVE_INFINITY;

  record(record: DecisionRecord): void {
    this.count(Names.Decision, ['Band', record.band]);
    for (const signal of record.signals) this.count(Names.SignalFired, ['Signal', signal.name]);
    if (record.authFailure) this.count(Names.AuthFailure, ['Reason', record.authFailure]);
    if (record.authzFailure) this.count(Names.AuthzFailure, ['Reason', record.authzFailure]);
    if (record.failOpen) this.count(Names.FailOpen, undefined);
    this.latencies.push(record.latencyMs);
    if (record.band !== 'allow' || record.effect !== 'allow' || record.failOpen) this.urgent = true;
  }

  get pending(): boolean {
    return this.counts.size > 0;
  }

  /**
   * The EMF documents to write now (empty when nothing is due). `force` flushes whatever is pending.
   * Decision counts go to {service, Band} and {service}, like the other dimensioned counts (Sum is the statistic
   * to read); latency values go to {service}.
   */
  drain(nowMs: number, namespace: string, service: string, force = false): Record<string, unknown>[] {
    if (!this.pending) return [];
    const elapsed = nowMs - this.lastFlushMs;
    const due = force || elapsed >= FLUSH_INTERVAL_MS || (this.urgent && elapsed >= URGENT_FLUSH_INTERVAL_MS);
    if (!due) return [];
    const documents: Record<string, unknown>[] = [];
    const emf = (dimensions: string[][], metrics: { Name: string; Unit: string }[]) => ({
      _aws: {
        Timestamp: nowMs,
        CloudWatchMetrics: [{ Namespace: namespace, Dimensions: dimensions, Metrics: metrics }],
      },
      service,
    });
    for (const { metric, dimension, n } of this.counts.values()) {
      const unit = [{ Name: metric, Unit: 'Count' }];
      if (dimension === undefined) {
        documents.push({ ...emf([['service']], unit), [metric]: n });
      } else {
        const sets =
          metric === Names.Decision ? [['service', dimension[0]], ['service']] : [['service', dimension[0]]];
        documents.push({ ...emf(sets, unit), [dimension[0]]: dimension[1], [metric]: n });
      }
    }
    for (let i = 0; i < this.latencies.length; i += MAX_VALUES_PER_DOCUMENT) {
      documents.push({
        ...emf([['service']], [{ Name: Names.DecisionLatency, Unit: 'Milliseconds' }]),
        [Names.DecisionLatency]: this.latencies.slice(i, i + MAX_VALUES_PER_DOCUMENT),
      });
    }
    this.counts.clear();
    this.latencies = [];
    this.urgent = false;
    this.lastFlushMs = nowMs;
    return documents;
  }

  private count(metric: string, dimension: Dimension): void {
    const key = dimension ? `${metric}\u0000${dimension[0]}\u0000${dimension[1]}` : metric;
    const entry = this.counts.get(key);
    if (entry) entry.n += 1;
    else this.counts.set(key, { metric, dimension, n: 1 });
  }
}
