import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import { counterKey } from '../../lambdas/store/table-schema';
import { isCliError } from '../../lib/cli/errors';
import { blockClient, cliRegions, unblockClient } from '../../lib/cli/operator';
import { createTestTable } from '../helpers/table';

describe('operator blocks on a global table (--regions)', () => {
  it("puts the flag on the operator's Region's copy, seen by authorizers of every Region; unblock clears it", async () => {
    // Prepare
    const tableName = await createTestTable('operator-regions');
    const client = new DynamoDBClient({});
    const us = cliRegions('us-east-1,eu-west-1', 'us-east-1');
    const euReader = new DynamoCounterStore({
      tableName,
      client,
      regions: cliRegions('us-east-1,eu-west-1', 'eu-west-1')!,
    });
    const key = counterKey('ip', '203.0.113.45');
    const read = async () =>
      (await euReader.exchange(undefined, [key], new AbortController().signal)).read.get(key.pk);
    // Act
    const { record } = await blockClient(client, tableName, 'ip', '203.0.113.45', 3600, 'test', 1000, us);
    const blocked = await read();
    await unblockClient(
      client,
      tableName,
      'ip',
      '203.0.113.45',
      false,
      cliRegions('us-east-1,eu-west-1', 'eu-west-1'),
    );
    const unblocked = await read();
    // Assess
    expect(blocked?.blockedUntil).toBe(record.expiresAt);
    expect(unblocked?.blockedUntil).toBeUndefined();
  });

  it('names --regions and the fix when the list cannot be used', () => {
    const bad = () => cliRegions('us-east-1,eu-west-1', 'ap-south-1');
    expect(bad).toThrow(/must include this Region \(ap-south-1\).*\(--regions\)/);
    expect(
      isCliError(
        (() => {
          try {
            bad();
          } catch (e) {
            return e;
          }
        })(),
      ),
    ).toBe(true);
    expect(cliRegions(undefined, 'us-east-1')).toBeUndefined();
  });
});
