import { BatchWriteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listActiveBlocks } from '../../lambdas/adapters/active-blocks';
import { isActiveBlocksError } from '../../lambdas/adapters/waf-errors';
import { Metrics } from '../../lambdas/shared/metric-names';
import { blockRecordItem, counterKey, LIST_KEY, TTL_ATTRIBUTE } from '../../lambdas/store/table-schema';
import { block, manyIpv4Blocks } from '../helpers/block-records';
import { toAttributeMap } from '../helpers/dynamo-stream';
import { createTestTable } from '../helpers/table';
import { wafUpdaterHarness } from '../helpers/waf-updater-harness';

const dynamo = new DynamoDBClient({});
const now = Math.floor(Date.now() / 1000);

async function writeAll(table: string, items: Record<string, unknown>[]): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  // A few writers in parallel; DynamoDB Local answers unprocessed items only under pressure, so resend them.
  const writer = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      let requests = batch.map((item) => ({ PutRequest: { Item: toAttributeMap(item) } }));
      while (requests.length > 0) {
        const out = await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
        requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
}

describe('listActiveBlocks on DynamoDB Local (the sparse active-blocks index)', () => {
  let table: string;

  beforeAll(async () => {
    table = await createTestTable('waf-active');
    await writeAll(table, [
      ...Array.from({ length: 30 }, (_, i) =>
        blockRecordItem(block(`192.0.2.${i + 1}`, { createdAt: now, expiresAt: now + 600 + i })),
      ),
      // Expired, not yet deleted by TTL.
      blockRecordItem(block('198.51.100.1', { createdAt: now - 900, expiresAt: now - 1 })),
      // Counters are not in the index at all.
      { ...counterKey('ip', '192.0.2.1'), r1: 3, [TTL_ATTRIBUTE]: now + 120 },
      // Malformed block record: in the index, rejected by parseBlockRecord.
      { pk: 'block#ip#bad', sk: 'block', [LIST_KEY]: 'block', [TTL_ATTRIBUTE]: now + 600, scope: 'nonsense' },
    ]);
  });

  it('lists every active block record across pages, without expired records or counters', async () => {
    // Prepare / Act
    const active = await listActiveBlocks(dynamo, table, now, { pageSize: 7 });

    // Assess
    expect(active.records).toHaveLength(30);
    expect(new Set(active.records.map((r) => r.value)).has('198.51.100.1')).toBe(false);
    expect(active.malformed).toBe(1);
  });

  it('filters by the caller clock: records that expire later drop out later', async () => {
    // Prepare / Act
    const later = await listActiveBlocks(dynamo, table, now + 615);

    // Assess: expiresAt now+600+i > now+615  <=>  i >= 16
    expect(later.records).toHaveLength(14);
  });

  it('translates a missing table to an ActiveBlocksError naming the variable to check', async () => {
    // Prepare / Act
    const failure = await listActiveBlocks(dynamo, 'no-such-table', now).catch((e: unknown) => e);

    // Assess
    expect(isActiveBlocksError(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/GATEWARDEN_TABLE/);
  });
});

describe('WAF updater over 10,000 active blocks in DynamoDB Local', () => {
  let table: string;
  let harness: ReturnType<typeof wafUpdaterHarness> | undefined;

  beforeAll(async () => {
    table = await createTestTable('waf-10k');
    const records = manyIpv4Blocks(10_000, 200, (i) => ({
      createdAt: now,
      expiresAt: now + 3600,
      score: 100 - i / 1000,
    }));
    await writeAll(table, records.map(blockRecordItem));
    await dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: toAttributeMap(
          blockRecordItem(block('2001:db8::1', { createdAt: now, expiresAt: now + 3600 })),
        ),
      }),
    );
  }, 600_000);

  afterEach(() => harness?.restore());
  afterAll(() => dynamo.destroy());

  it('fills the set to the high-water mark, reports the 500 least severe, and a rerun changes nothing', async () => {
    // Prepare
    harness = wafUpdaterHarness({
      activeBlocks: (n) => listActiveBlocks(dynamo, table, n),
      collapseMinEntries: 0,
    });
    harness.now.seconds = now;

    // Act
    await harness.updater.handleSchedule();
    const updates = harness.model.stats.updates;
    await harness.updater.handleSchedule();

    // Assess
    expect(harness.addresses('IPV4')[0]).toHaveLength(9_500);
    expect(harness.addresses('IPV6')).toEqual([['2001:db8::1/128']]);
    expect(harness.metric(Metrics.WafItemsLeftOut)).toBe(500);
    expect(harness.model.stats.updates).toBe(updates);
  });
});
