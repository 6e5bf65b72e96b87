import type { DynamoDB, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Capacity units a client consumed, read from ReturnConsumedCapacity. */
export interface Consumed {
  read: number;
  write: number;
}

const WRITES = new Set(['UpdateItemCommand', 'PutItemCommand', 'DeleteItemCommand']);
const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand']);

/**
 * Adds `ReturnConsumedCapacity: TOTAL` to every item operation of `client` and sums what DynamoDB reports, for code
 * we do not own (the peer's rate limiter). A write rejected by its condition reports no capacity but is billed one
 * write unit (for items up to 1 KB), so it is counted as 1.
 */
export function trackConsumedCapacity(client: DynamoDB | DynamoDBClient): Consumed {
  const consumed: Consumed = { read: 0, write: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      const isWrite = WRITES.has(command);
      if (isWrite || READS.has(command)) {
        (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      }
      try {
        const out = await next(args);
        const cc = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        const list = (Array.isArray(cc) ? cc : cc ? [cc] : []) as { CapacityUnits?: number }[];
        const units = list.reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
        if (isWrite) consumed.write += units;
        else consumed.read += units;
        return out;
      } catch (error) {
        if (isWrite && (error as Error).name === 'ConditionalCheckFailedException') consumed.write += 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchConsumedCapacity' },
  );
  return consumed;
}
