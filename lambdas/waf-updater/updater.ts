import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { ActiveBlocks } from '../adapters/active-blocks';
import { capacityUsedPercent, type IpSetWriter, type ReconcileReport, reconcile } from '../ipset/reconcile';
import { Metrics as Names } from '../shared/metric-names';
import type { WafUpdaterConfig } from './config';
import { isBlockStreamKey } from './stream-filter';

/** What the updater needs; the handler builds these once per container, tests pass their own. */
export interface WafUpdaterDeps {
  readonly config: WafUpdaterConfig;
  /** Source of active block records, e.g. `(now) => listActiveBlocks(client, table, now)`. */
  readonly activeBlocks: (nowSeconds: number) => Promise<ActiveBlocks>;
  readonly writer: IpSetWriter;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Epoch seconds. @default the system clock */
  readonly nowSeconds?: () => number;
}

/** A reconcile could not complete; `report` (when present) says which sets failed. */
export class ReconcileFailedError extends Error {
  readonly report: ReconcileReport | undefined;

  constructor(message: string, report: ReconcileReport | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReconcileFailedError';
    this.report = report;
  }
}

/** Type guard for {@link ReconcileFailedError}. */
export function isReconcileFailedError(error: unknown): error is ReconcileFailedError {
  return error instanceof ReconcileFailedError;
}

// Left-out entries are logged in chunks so no log event nears CloudWatch's 256 KB limit, yet none is dropped.
const LEFT_OUT_LOG_CHUNK = 500;

/** The WAF updater's behaviour, independent of the Lambda wiring. */
export interface WafUpdater {
  /** Full reconcile: desired state from the active-blocks index, applied to every configured set. */
  reconcileNow(trigger: 'stream' | 'schedule'): Promise<ReconcileReport>;
  /**
   * A stream batch triggers a full reconcile (the records only say "something changed"): any batch, replayed or
   * reordered, converges to the same sets. When the reconcile fails, every block record of the batch is reported
   * as failed so Lambda retries the batch and, past its retry limit, hands it to the on-failure destination.
   */
  handleStream(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse>;
  /** A scheduled reconcile; throws (after a metric and an error log) when it cannot finish. */
  handleSchedule(): Promise<ReconcileReport>;
}

/** Builds the updater over its dependencies. */
export function createWafUpdater(deps: WafUpdaterDeps): WafUpdater {
  const { config, logger, metrics } = deps;
  const nowSeconds = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

  async function reconcileNow(trigger: 'stream' | 'schedule'): Promise<ReconcileReport> {
    const now = nowSeconds();
    let report: ReconcileReport;
    try {
      const active = await deps.activeBlocks(now);
      if (active.malformed > 0) {
        logger.warn('block records that cannot be parsed were skipped', { malformed: active.malformed });
      }
      report = await reconcile(
        {
          records: active.records,
          nowSeconds: now,
          ipSets: config.ipSets,
          highWater: config.highWater,
          collapseMinEntries: config.collapseMinEntries,
        },
        deps.writer,
      );
    } catch (error) {
      metrics.addMetric(Names.WafReconcileFailure, MetricUnit.Count, 1);
      logger.error('WAF reconcile failed before any set was written', { trigger, error });
      throw new ReconcileFailedError('WAF reconcile failed: could not compute the desired state', undefined, {
        cause: error,
      });
    }
    record(report, trigger);
    if (!report.ok) {
      const failed = report.sets.filter((s) => s.error !== undefined);
      throw new ReconcileFailedError(
        `WAF reconcile failed for ${failed.length} of ${report.sets.length} IP set(s): ${failed.map((s) => s.ref.arn).join(', ')}`,
        report,
        { cause: failed[0]?.error },
      );
    }
    return report;
  }

  function record(report: ReconcileReport, trigger: 'stream' | 'schedule'): void {
    const done = report.sets.flatMap((s) => (s.outcome ? [s.outcome] : []));
    const largest = Math.max(0, ...done.map((o) => o.size));
    const leftOut = report.leftOut.IPV4.length + report.leftOut.IPV6.length;
    // Dimensions stay at the default (service) so the operations construct's alarms match exactly.
    metrics.addMetric(Names.WafSetSize, MetricUnit.Count, largest);
    metrics.addMetric(Names.WafCapacityUsedPercent, MetricUnit.Percent, capacityUsedPercent(largest));
    metrics.addMetric(
      Names.WafChangesApplied,
      MetricUnit.Count,
      done.reduce((n, o) => n + o.added + o.removed, 0),
    );
    metrics.addMetric(
      Names.WafLockConflicts,
      MetricUnit.Count,
      done.reduce((n, o) => n + o.lockConflicts, 0),
    );
    metrics.addMetric(Names.WafItemsLeftOut, MetricUnit.Count, leftOut);
    metrics.addMetric(Names.WafReconcileFailure, MetricUnit.Count, report.ok ? 0 : 1);

    logger.info('WAF reconcile', {
      trigger,
      sets: report.sets.map((s) => ({
        name: s.ref.name,
        version: s.version,
        desired: s.desired,
        ...(s.outcome ?? {}),
        ...(s.error ? { error: String(s.error) } : {}),
      })),
      leftOut,
      collapsed: [...report.collapsed.IPV4, ...report.collapsed.IPV6],
      ignored: report.ignored,
    });
    for (const set of report.sets) {
      if (set.error) logger.error('IP set not updated', { ipSet: set.ref.arn, error: set.error });
    }
    if (report.rejected.length > 0) {
      logger.warn('block records WAF cannot hold were not sent', { rejected: report.rejected });
    }
    for (const version of ['IPV4', 'IPV6'] as const) {
      const entries = report.leftOut[version];
      if (entries.length === 0) continue;
      const hasSets = config.ipSets[version].length > 0;
      for (let i = 0; i < entries.length; i += LEFT_OUT_LOG_CHUNK) {
        logger.error(
          hasSets
            ? 'WAF IP sets are full: blocks left out of WAF (still enforced by the authorizer)'
            : `no ${version} IP set configured: blocks left out of WAF (still enforced by the authorizer)`,
          {
            version,
            leftOut: entries.length,
            chunk: i / LEFT_OUT_LOG_CHUNK + 1,
            entries: entries.slice(i, i + LEFT_OUT_LOG_CHUNK),
          },
        );
      }
    }
  }

  return {
    reconcileNow,

    async handleStream(event) {
      // A malformed (even null) record is not a block record; it must not fail the batch.
      const blockRecords = (Array.isArray(event.Records) ? event.Records : []).filter(
        (r: DynamoDBRecord | null) =>
          isBlockStreamKey(r?.dynamodb?.Keys as Record<string, { S?: string }> | undefined),
      );
      if (blockRecords.length === 0) {
        logger.debug('stream batch without block records ignored', { records: event.Records?.length ?? 0 });
        return { batchItemFailures: [] };
      }
      try {
        await reconcileNow('stream');
        return { batchItemFailures: [] };
      } catch (error) {
        logger.error('stream batch not applied; reporting its block records for retry', {
          records: blockRecords.length,
          error,
        });
        return {
          batchItemFailures: blockRecords.map((r) => ({
            itemIdentifier: r.dynamodb?.SequenceNumber ?? r.eventID ?? '',
          })),
        };
      }
    },

    async handleSchedule() {
      return reconcileNow('schedule');
    },
  };
}
