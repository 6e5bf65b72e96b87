import { type AttributeValue, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';

/** Marshals the plain values Gatewarden items use (strings, numbers, booleans) to DynamoDB attribute values. */
export function toAttributeMap(item: Record<string, unknown>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(item)) {
    if (typeof value === 'string') out[key] = { S: value };
    else if (typeof value === 'number') out[key] = { N: String(value) };
    else if (typeof value === 'boolean') out[key] = { BOOL: value };
    else if (value === null) out[key] = { NULL: true };
    else throw new Error(`toAttributeMap: unsupported value for ${key}`);
  }
  return out;
}

/**
 * Reads every record so far from the table's stream on DynamoDB Local (all shards, from TRIM_HORIZON) and returns
 * them in the shape Lambda delivers (`DynamoDBRecord`, dates as epoch seconds).
 */
export async function readTableStream(tableName: string, endpoint: string): Promise<DynamoDBRecord[]> {
  const dynamo = new DynamoDBClient({});
  const streams = new DynamoDBStreamsClient({ endpoint });
  try {
    const table = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const streamArn = table.Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${tableName} has no stream`);
    const description = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const records: StreamRecord[] = [];
    for (const shard of description.StreamDescription?.Shards ?? []) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      // An open shard returns an iterator forever; stop at the first empty page.
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...(page.Records ?? []));
        if (!page.Records?.length) break;
        iterator = page.NextShardIterator;
      }
    }
    return records.map(toLambdaRecord);
  } finally {
    dynamo.destroy();
    streams.destroy();
  }
}

function toLambdaRecord(record: StreamRecord): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...rest } = record.dynamodb ?? {};
  return JSON.parse(
    JSON.stringify({
      ...record,
      eventSource: 'aws:dynamodb',
      dynamodb: {
        ...rest,
        ...(ApproximateCreationDateTime
          ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) }
          : {}),
      },
    }),
  ) as DynamoDBRecord;
}
