import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../../lambdas/shared/metric-names';
import { isReconcileFailedError } from '../../../lambdas/waf-updater/updater';
import { block, manyIpv4Blocks, NOW } from '../../helpers/block-records';
import { wafUpdaterHarness } from '../../helpers/waf-updater-harness';

function streamEvent(
  ...items: { sk: string; seq: string; eventName?: 'INSERT' | 'MODIFY' | 'REMOVE' }[]
): DynamoDBStreamEvent {
  return {
    Records: items.map(({ sk, seq, eventName }) => ({
      eventID: `id-${seq}`,
      eventName: eventName ?? 'INSERT',
      dynamodb: { Keys: { pk: { S: 'x' }, sk: { S: sk } }, SequenceNumber: seq },
    })),
  };
}

describe('WAF updater', () => {
  let harness: ReturnType<typeof wafUpdaterHarness> | undefined;
  afterEach(() => harness?.restore());

  it('writes active blocks to the set of their IP version', async () => {
    // Prepare
    harness = wafUpdaterHarness();
    harness.blocks.push(block('192.0.2.7'), block('2001:DB8::7'), block('::ffff:198.51.100.1'));

    // Act
    await harness.updater.handleSchedule();

    // Assess
    expect(harness.addresses('IPV4')).toEqual([['192.0.2.7/32', '198.51.100.1/32']]);
    expect(harness.addresses('IPV6')).toEqual([['2001:db8::7/128']]);
  });

  it('expiry removes addresses, even before TTL deletes the record', async () => {
    // Prepare
    harness = wafUpdaterHarness();
    harness.blocks.push(
      block('192.0.2.7', { expiresAt: NOW + 60 }),
      block('192.0.2.8', { expiresAt: NOW + 600 }),
    );
    await harness.updater.handleSchedule();

    // Act: time passes; the record is still in the table (TTL lags) but the index query and our clock drop it.
    harness.now.seconds = NOW + 61;
    await harness.updater.handleSchedule();

    // Assess
    expect(harness.addresses('IPV4')).toEqual([['192.0.2.8/32']]);
  });

  it('simulated (shadow-mode) blocks never reach WAF', async () => {
    // Prepare
    harness = wafUpdaterHarness();
    harness.blocks.push(block('192.0.2.7', { simulated: true }), block('2001:db8::7', { simulated: true }));

    // Act
    await harness.updater.handleSchedule();

    // Assess
    expect(harness.addresses('IPV4')).toEqual([[]]);
    expect(harness.addresses('IPV6')).toEqual([[]]);
    expect(harness.model.stats.updates).toBe(0);
  });

  it('the same stream batch twice gives the same sets, and the second writes nothing', async () => {
    // Prepare
    harness = wafUpdaterHarness();
    harness.blocks.push(block('192.0.2.7'), block('2001:db8::7'));
    const batch = streamEvent({ sk: 'block', seq: '100' });

    // Act
    const first = await harness.updater.handleStream(batch);
    const afterFirst = [harness.addresses('IPV4'), harness.addresses('IPV6')];
    const updatesAfterFirst = harness.model.stats.updates;
    const second = await harness.updater.handleStream(batch);

    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(second).toEqual({ batchItemFailures: [] });
    expect([harness.addresses('IPV4'), harness.addresses('IPV6')]).toEqual(afterFirst);
    expect(harness.model.stats.updates).toBe(updatesAfterFirst);
  });

  it('a failing WAF makes the batch report every block record as failed (none lost)', async () => {
    // Prepare
    harness = wafUpdaterHarness();
    harness.blocks.push(block('192.0.2.7'));
    harness.model.failAlways('*', () => Object.assign(new Error('down'), { name: 'AccessDeniedException' }));
    const batch = streamEvent(
      { sk: 'block', seq: '100' },
      { sk: 'counter', seq: '101' },
      { sk: 'block', seq: '102' },
    );

    // Act
    const result = await harness.updater.handleStream(batch);

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '100' }, { itemIdentifier: '102' }]);
    expect(harness.metric(Metrics.WafReconcileFailure)).toBe(1);
  });

  it('a failing block source also fails the batch', async () => {
    // Prepare
    harness = wafUpdaterHarness({
      activeBlocks: async () => {
        throw new Error('table unavailable');
      },
    });

    // Act
    const result = await harness.updater.handleStream(streamEvent({ sk: 'block', seq: '7' }));

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '7' }]);
  });

  it('a batch without block records does not reconcile', async () => {
    // Prepare
    harness = wafUpdaterHarness();

    // Act
    const result = await harness.updater.handleStream(streamEvent({ sk: 'counter', seq: '1' }));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(harness.model.stats.gets).toBe(0);
  });

  it('a scheduled run that cannot finish throws, with a metric and an error log, and the next run converges', async () => {
    // Prepare
    harness = wafUpdaterHarness();
    harness.blocks.push(block('192.0.2.7'), block('2001:db8::7'));
    harness.model.failNext('UpdateIPSet', () =>
      Object.assign(new Error('x'), { name: 'WAFInvalidOperationException' }),
    );

    // Act
    const failed = await harness.updater.handleSchedule().catch((e: unknown) => e);

    // Assess
    expect(isReconcileFailedError(failed)).toBe(true);
    expect((failed as Error).message).toMatch(/1 of 2 IP set/);
    expect(harness.metric(Metrics.WafReconcileFailure)).toBe(1);
    expect(harness.errorSpy).toHaveBeenCalledWith('IP set not updated', expect.anything());
    // The other set was still written; the next run completes the job.
    expect(harness.addresses('IPV6')).toEqual([['2001:db8::7/128']]);
    await harness.updater.handleSchedule();
    expect(harness.addresses('IPV4')).toEqual([['192.0.2.7/32']]);
    expect(harness.metric(Metrics.WafReconcileFailure)).toBe(0);
  });

  it('emits set size, capacity, changes and lock-conflict metrics', async () => {
    // Prepare
    harness = wafUpdaterHarness();
    harness.blocks.push(block('192.0.2.7'), block('192.0.2.8'));

    // Act
    await harness.updater.handleSchedule();

    // Assess
    expect(harness.metric(Metrics.WafSetSize)).toBe(2);
    expect(harness.metric(Metrics.WafCapacityUsedPercent)).toBeCloseTo(0.02);
    expect(harness.metric(Metrics.WafChangesApplied)).toBe(2);
    expect(harness.metric(Metrics.WafLockConflicts)).toBe(0);
    expect(harness.metric(Metrics.WafItemsLeftOut)).toBe(0);
  });

  describe('at capacity', () => {
    it('10,000 active blocks in one set (high water 9,500): no crash, 500 least severe left out, metric and log', async () => {
      // Prepare: scores descend with i, so the last 500 are the least severe.
      harness = wafUpdaterHarness({ highWater: 9_500, collapseMinEntries: 0 });
      harness.blocks.push(...manyIpv4Blocks(10_000, 200, (i) => ({ score: 100 - i / 1000 })));

      // Act
      await harness.updater.handleSchedule();

      // Assess
      const [set] = harness.addresses('IPV4');
      expect(set).toHaveLength(9_500);
      expect(harness.metric(Metrics.WafItemsLeftOut)).toBe(500);
      expect(harness.metric(Metrics.WafCapacityUsedPercent)).toBe(95);
      const logged = harness.errorSpy.mock.calls.filter(([message]) => String(message).includes('full'));
      const entries = logged.flatMap(([, extra]) => (extra as { entries: { cidr: string }[] }).entries);
      expect(entries).toHaveLength(500);
      expect(new Set(entries.map((e) => e.cidr))).toEqual(
        new Set(harness.blocks.slice(9_500).map((b) => `${b.value}/32`)),
      );
    });

    it('10,000 active blocks fit by collapsing the densest /24s when collapsing is on', async () => {
      // Prepare
      harness = wafUpdaterHarness({ highWater: 9_500, collapseMinEntries: 8 });
      harness.blocks.push(...manyIpv4Blocks(10_000));

      // Act
      await harness.updater.handleSchedule();

      // Assess
      const [set] = harness.addresses('IPV4');
      expect(set!.length).toBeLessThanOrEqual(9_500);
      expect(set).toContain('10.0.0.0/24');
      expect(harness.metric(Metrics.WafItemsLeftOut)).toBe(0);
    });

    it('25,000 active blocks over three sets: every set within the high-water mark, nothing lost', async () => {
      // Prepare
      harness = wafUpdaterHarness({ v4Sets: 3, highWater: 9_000, collapseMinEntries: 0 });
      harness.blocks.push(...manyIpv4Blocks(25_000));

      // Act
      await harness.updater.handleSchedule();

      // Assess
      const sets = harness.addresses('IPV4');
      expect(sets.every((s) => s.length <= 9_000)).toBe(true);
      expect(new Set(sets.flat()).size).toBe(25_000);
      expect(harness.metric(Metrics.WafItemsLeftOut)).toBe(0);
    });

    it('25,000 active blocks in one set: 9,500 most severe kept, 15,500 reported, WAF never over its limit', async () => {
      // Prepare
      harness = wafUpdaterHarness({ collapseMinEntries: 0 });
      harness.blocks.push(...manyIpv4Blocks(25_000, 200, (i) => ({ offences: i % 7 })));

      // Act
      await harness.updater.handleSchedule();

      // Assess
      const [set] = harness.addresses('IPV4');
      expect(set).toHaveLength(9_500);
      expect(harness.metric(Metrics.WafItemsLeftOut)).toBe(15_500);
      expect(harness.model.stats.rejected).toBe(0);
      // Severity: every kept entry has at least as many offences as any entry left out.
      const offencesOf = new Map(harness.blocks.map((b) => [`${b.value}/32`, b.offences]));
      const minKept = Math.min(...set!.map((c) => offencesOf.get(c)!));
      const logged = harness.errorSpy.mock.calls.flatMap(
        ([, extra]) => (extra as { entries?: { offences: number }[] }).entries ?? [],
      );
      expect(logged).toHaveLength(15_500);
      expect(Math.max(...logged.map((e) => e.offences))).toBeLessThanOrEqual(minKept);
    });

    it('IPv6 blocks with no IPv6 set configured are reported as left out, not silently dropped', async () => {
      // Prepare
      harness = wafUpdaterHarness({ v6Sets: 0 });
      harness.blocks.push(block('2001:db8::1'));

      // Act
      await harness.updater.handleSchedule();

      // Assess
      expect(harness.metric(Metrics.WafItemsLeftOut)).toBe(1);
      expect(harness.errorSpy).toHaveBeenCalledWith(
        expect.stringContaining('no IPV6 IP set'),
        expect.anything(),
      );
    });
  });
});
