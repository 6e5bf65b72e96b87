import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import {
  ACTIVE_BLOCKS_INDEX,
  BLOCK_LIST_VALUE,
  type BlockRecord,
  isActiveBlock,
  LIST_KEY,
  parseBlockRecord,
  TTL_ATTRIBUTE,
} from '../store/table-schema';
import { ActiveBlocksError } from './waf-errors';

/** Active block records and how many index items could not be read as one. */
export interface ActiveBlocks {
  readonly records: readonly BlockRecord[];
  /** Items in the index that `parseBlockRecord` rejected (logged by the caller, never sent to WAF). */
  readonly malformed: number;
}

/** Options of {@link listActiveBlocks}. */
export interface ListActiveBlocksOptions {
  /** Items per Query page. @default DynamoDB's 1 MB page */
  readonly pageSize?: number;
}

/**
 * Lists the block records in force at `nowSeconds` from the sparse `active-blocks` index
 * (`listKey = 'block' AND expiresAt > now`), following pages to the end. No table scan: only block records carry
 * `listKey`. Expired records are filtered again in code because the index's sort key condition uses the caller's
 * clock at query time and TTL deletion lags by days. Used by the WAF updater and the operator CLI.
 *
 * @throws {ActiveBlocksError} when a Query fails (`cause` holds the SDK error).
 */
export async function listActiveBlocks(
  client: DynamoDBClient,
  tableName: string,
  nowSeconds: number,
  options: ListActiveBlocksOptions = {},
): Promise<ActiveBlocks> {
  const records: BlockRecord[] = [];
  let malformed = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    let page: QueryCommandOutput;
    try {
      page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: ACTIVE_BLOCKS_INDEX,
          KeyConditionExpression: '#listKey = :block AND #expiresAt > :now',
          ExpressionAttributeNames: { '#listKey': LIST_KEY, '#expiresAt': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':block': { S: BLOCK_LIST_VALUE }, ':now': { N: String(nowSeconds) } },
          ExclusiveStartKey: startKey,
          ...(options.pageSize ? { Limit: options.pageSize } : {}),
        }),
      );
    } catch (error) {
      const name = error instanceof Error ? error.name : 'unknown error';
      const hint =
        name === 'ResourceNotFoundException'
          ? 'table or active-blocks index not found: check GATEWARDEN_TABLE'
          : `Query on ${ACTIVE_BLOCKS_INDEX} failed (${name})`;
      throw new ActiveBlocksError(tableName, hint, { cause: error });
    }
    for (const item of page.Items ?? []) {
      const record = parseBlockRecord(unmarshallItem(item));
      if (!record) malformed += 1;
      else if (isActiveBlock(record, nowSeconds)) records.push(record);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { records, malformed };
}

/**
 * Converts a DynamoDB attribute map to plain values for `parseBlockRecord`. Covers the types block records use
 * (S, N, BOOL, NULL, M, L, SS, NS); binary values are kept as bytes. Kept here rather than adding a dependency.
 */
export function unmarshallItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([key, value]) => [key, unmarshallValue(value)]));
}

function unmarshallValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return unmarshallItem(value.M);
  if (value.L !== undefined) return value.L.map(unmarshallValue);
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(Number));
  if (value.B !== undefined) return value.B;
  if (value.BS !== undefined) return new Set(value.BS);
  return undefined;
}
