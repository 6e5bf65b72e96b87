import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';
import type { ActiveBlocks } from '../../lambdas/adapters/active-blocks';
import { WafIpSets } from '../../lambdas/adapters/waf-ip-sets';
import { parseIpSetArn } from '../../lambdas/ipset/ip-set-arn';
import { type BlockRecord, isActiveBlock } from '../../lambdas/store/table-schema';
import type { WafUpdaterConfig } from '../../lambdas/waf-updater/config';
import { createWafUpdater } from '../../lambdas/waf-updater/updater';
import { type ModelIpSet, mockWafClient, WafModel } from '../../lib/local/waf-model';
import { NOW } from './block-records';
import { virtualClock } from './virtual-clock';

/** Options of {@link wafUpdaterHarness}. */
export interface HarnessOptions {
  readonly v4Sets?: number;
  readonly v6Sets?: number;
  readonly highWater?: number;
  readonly collapseMinEntries?: number;
  /** Block source; by default the in-memory `blocks` array (filtered like the index query). */
  readonly activeBlocks?: (nowSeconds: number) => Promise<ActiveBlocks>;
  readonly maxUpdatesPerSecond?: number;
}

/**
 * A WAF updater over the WAF model, in virtual time, with spied logger and metrics. Call `restore()` after use.
 */
export function wafUpdaterHarness(options: HarnessOptions = {}) {
  const clock = virtualClock();
  const model = new WafModel({ now: clock.now, maxUpdatesPerSecond: options.maxUpdatesPerSecond ?? 1 });
  const v4: ModelIpSet[] = Array.from({ length: options.v4Sets ?? 1 }, (_, i) =>
    model.createIpSet({ name: `gw-v4-${i}`, version: 'IPV4' }),
  );
  const v6: ModelIpSet[] = Array.from({ length: options.v6Sets ?? 1 }, (_, i) =>
    model.createIpSet({ name: `gw-v6-${i}`, version: 'IPV6' }),
  );
  const stub = mockWafClient(model);
  const blocks: BlockRecord[] = [];
  const now = { seconds: NOW };
  const logger = new Logger({ serviceName: 'gatewarden', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'Gatewarden', serviceName: 'gatewarden' });
  const metricSpy = vi.spyOn(metrics, 'addMetric');
  const errorSpy = vi.spyOn(logger, 'error');
  const config: WafUpdaterConfig = {
    tableName: 'unused',
    ipSets: { IPV4: v4.map((s) => parseIpSetArn(s.arn)), IPV6: v6.map((s) => parseIpSetArn(s.arn)) },
    highWater: options.highWater ?? 9_500,
    collapseMinEntries: options.collapseMinEntries ?? 0,
  };
  const updater = createWafUpdater({
    config,
    activeBlocks:
      options.activeBlocks ??
      (async (nowSeconds) => ({ records: blocks.filter((b) => isActiveBlock(b, nowSeconds)), malformed: 0 })),
    writer: new WafIpSets({ clock, random: () => 0.5 }),
    logger,
    metrics,
    nowSeconds: () => now.seconds,
  });

  /** Last value recorded for a metric name in this harness. */
  function metric(name: string): number | undefined {
    const calls = metricSpy.mock.calls.filter((c) => c[0] === name);
    return calls.at(-1)?.[2] as number | undefined;
  }

  return {
    clock,
    model,
    v4,
    v6,
    blocks,
    now,
    logger,
    metrics,
    errorSpy,
    metric,
    updater,
    config,
    /** All addresses of all sets of a version, in set order. */
    addresses: (version: 'IPV4' | 'IPV6') =>
      (version === 'IPV4' ? v4 : v6).map((s) => model.addresses(s.arn)),
    restore: () => {
      stub.restore();
      metrics.clearMetrics();
    },
  };
}
