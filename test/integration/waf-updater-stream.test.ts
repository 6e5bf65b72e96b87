import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { listActiveBlocks } from '../../lambdas/adapters/active-blocks';
import {
  blockKey,
  blockRecordItem,
  counterKey,
  offencesKey,
  TTL_ATTRIBUTE,
} from '../../lambdas/store/table-schema';
import { setWafUpdater } from '../../lambdas/waf-updater/handler';
import { BLOCK_RECORD_STREAM_FILTER } from '../../lambdas/waf-updater/stream-filter';
import { block } from '../helpers/block-records';
import { readTableStream, toAttributeMap } from '../helpers/dynamo-stream';
import { matchesPattern } from '../helpers/event-pattern';
import { createTestTable } from '../helpers/table';
import { wafUpdaterHarness } from '../helpers/waf-updater-harness';

/**
 * Stream records from a real DynamoDB Local stream of the project's own table: block records inserted, modified
 * and deleted, next to counter and offence items, go through the same filter pattern Lambda applies and then to
 * the updater.
 */
describe('WAF updater on a real DynamoDB Local stream', () => {
  const dynamo = new DynamoDBClient({});
  const now = Math.floor(Date.now() / 1000);
  let table: string;
  let records: DynamoDBRecord[];

  beforeAll(async () => {
    table = await createTestTable('waf-stream');
    const put = (item: Record<string, unknown>) =>
      dynamo.send(new PutItemCommand({ TableName: table, Item: toAttributeMap(item) }));
    // Blocks: two IPv4, one IPv6, one simulated, one prefix.
    for (const record of [
      block('192.0.2.7', { createdAt: now, expiresAt: now + 3600 }),
      block('192.0.2.8', { createdAt: now, expiresAt: now + 3600 }),
      block('2001:DB8::7', { createdAt: now, expiresAt: now + 3600 }),
      block('198.51.100.9', { createdAt: now, expiresAt: now + 3600, simulated: true }),
      block('203.0.113.0/24', { createdAt: now, expiresAt: now + 3600 }),
    ]) {
      await put(blockRecordItem(record));
    }
    // A counter and an offence history: must not invoke the updater.
    await put({ ...counterKey('ip', '192.0.2.7'), r1: 5, [TTL_ATTRIBUTE]: now + 120 });
    await put({ ...offencesKey('ip', '192.0.2.7'), count: 1, [TTL_ATTRIBUTE]: now + 86_400 });
    await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: toAttributeMap(counterKey('ip', '192.0.2.7')),
        UpdateExpression: 'ADD r1 :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
    // MODIFY: an operator escalates 192.0.2.8; REMOVE: 192.0.2.7 is lifted; the counter expires.
    await dynamo.send(
      new UpdateItemCommand({
        TableName: table,
        Key: toAttributeMap(blockKey('ip', '192.0.2.8')),
        UpdateExpression: 'SET offences = :n, score = :s',
        ExpressionAttributeValues: { ':n': { N: '3' }, ':s': { N: '99' } },
      }),
    );
    await dynamo.send(
      new DeleteItemCommand({ TableName: table, Key: toAttributeMap(blockKey('ip', '192.0.2.7')) }),
    );
    await dynamo.send(
      new DeleteItemCommand({ TableName: table, Key: toAttributeMap(counterKey('ip', '192.0.2.7')) }),
    );
    records = await readTableStream(table, inject('dynamoEndpoint'));
  });

  afterAll(() => dynamo.destroy());

  let harness: ReturnType<typeof wafUpdaterHarness> | undefined;
  afterEach(() => {
    harness?.restore();
    harness = undefined;
    setWafUpdater(undefined);
    vi.unstubAllEnvs();
  });

  function onTable() {
    harness = wafUpdaterHarness({
      activeBlocks: (nowSeconds) => listActiveBlocks(dynamo, table, nowSeconds),
    });
    harness.now.seconds = now;
    return harness;
  }

  const delivered = () => records.filter((r) => matchesPattern(BLOCK_RECORD_STREAM_FILTER, r));

  it('the stream holds block, counter and offence records of every event type', () => {
    // Assess
    const sks = new Set(records.map((r) => r.dynamodb?.Keys?.sk?.S));
    expect(sks).toEqual(new Set(['block', 'counter', 'offences']));
    const blockEvents = records.filter((r) => r.dynamodb?.Keys?.sk?.S === 'block').map((r) => r.eventName);
    expect(blockEvents).toEqual(['INSERT', 'INSERT', 'INSERT', 'INSERT', 'INSERT', 'MODIFY', 'REMOVE']);
  });

  it('Compliance: the filter pattern delivers exactly the block records (INSERT, MODIFY, REMOVE)', () => {
    // Act
    const matched = delivered();

    // Assess
    expect(matched.map((r) => r.dynamodb?.Keys?.sk?.S)).toEqual(Array(7).fill('block'));
    expect(matched.map((r) => r.eventName)).toContain('REMOVE');
  });

  it('Noncompliance: counter writes, counter deletions and offence histories are filtered out', () => {
    // Act
    const rejected = records.filter((r) => !matchesPattern(BLOCK_RECORD_STREAM_FILTER, r));

    // Assess
    expect(rejected.length).toBeGreaterThanOrEqual(4);
    expect(new Set(rejected.map((r) => r.dynamodb?.Keys?.sk?.S))).toEqual(new Set(['counter', 'offences']));
    expect(rejected.map((r) => r.eventName)).toEqual(expect.arrayContaining(['INSERT', 'MODIFY', 'REMOVE']));
  });

  it('Compliance: a TTL deletion (REMOVE by dynamodb.amazonaws.com) of a block record is delivered', () => {
    // Prepare: DynamoDB Local does not run TTL; a TTL REMOVE differs from ours only in userIdentity.
    const remove = delivered().find((r) => r.eventName === 'REMOVE')!;
    const ttlRemove = { ...remove, userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } };

    // Act / Assess
    expect(matchesPattern(BLOCK_RECORD_STREAM_FILTER, ttlRemove)).toBe(true);
  });

  it('the delivered batch makes WAF equal to the active, enforced blocks (removal included)', async () => {
    // Prepare
    const h = onTable();
    const event: DynamoDBStreamEvent = { Records: delivered() };

    // Act
    const result = await h.updater.handleStream(event);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(h.addresses('IPV4')).toEqual([['192.0.2.8/32', '203.0.113.0/24']]);
    expect(h.addresses('IPV6')).toEqual([['2001:db8::7/128']]);
  });

  it('the same batch twice gives the same sets', async () => {
    // Prepare
    const h = onTable();
    const event: DynamoDBStreamEvent = { Records: delivered() };
    await h.updater.handleStream(event);
    const first = [h.addresses('IPV4'), h.addresses('IPV6')];

    // Act
    await h.updater.handleStream(event);

    // Assess
    expect([h.addresses('IPV4'), h.addresses('IPV6')]).toEqual(first);
  });

  it('a failing WAF reports every delivered record for retry (no record lost)', async () => {
    // Prepare
    const h = onTable();
    h.model.failAlways('*', () => Object.assign(new Error('down'), { name: 'WAFInternalErrorException' }));
    const event: DynamoDBStreamEvent = { Records: delivered() };

    // Act
    const result = await h.updater.handleStream(event);

    // Assess
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      delivered().map((r) => r.dynamodb?.SequenceNumber),
    );
  });

  it('the Lambda entry point, configured from the environment, applies the batch', async () => {
    // Prepare: the real handler module (middy, Powertools, config from env, real clock: its pacer spaces the two
    // updates a second apart) against the WAF model, whose throttling clock is virtual here, so it is off.
    const h = wafUpdaterHarness({ maxUpdatesPerSecond: Number.POSITIVE_INFINITY });
    harness = h;
    vi.stubEnv('GATEWARDEN_TABLE', table);
    vi.stubEnv('WAF_IPSET_V4_ARNS', h.v4.map((s) => s.arn).join(','));
    vi.stubEnv('WAF_IPSET_V6_ARNS', h.v6.map((s) => s.arn).join(','));
    setWafUpdater(undefined);
    const { handler } = await import('../../lambdas/waf-updater/handler');
    const context = { functionName: 'waf-updater', awsRequestId: 'test' } as Context;

    // Act
    const result = await handler({ Records: delivered() }, context);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(h.addresses('IPV4')).toEqual([['192.0.2.8/32', '203.0.113.0/24']]);
    expect(h.addresses('IPV6')).toEqual([['2001:db8::7/128']]);
  });
});
