import {
  type AttributeValue,
  BatchGetItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { CounterUpdate, Item } from '../engine/counter-layout';
import { type CounterStore, StoreUnavailableError } from '../engine/ports';
import { ownRegionUpdate, planRegionalExchange } from '../store/regional-exchange';
import { blockFlagKey, blockFlagKeys, type RegionLayout } from '../store/regions';
import {
  type BlockRecord,
  type BlockScope,
  blockKey,
  blockRecordItem,
  offencesKey,
  TTL_ATTRIBUTE,
} from '../store/table-schema';

export interface DynamoCounterStoreOptions {
  readonly tableName: string;
  /** A client to use; by default one tuned for the request path (short timeouts, one retry). */
  readonly client?: DynamoDBClient;
  /**
   * The table's Regions when it is a global table: counter items are then written per Region and read merged (see
   * `lambdas/store/regions.ts`).
   * @default - one Region: plain keys
   */
  readonly regions?: RegionLayout;
}

/**
 * A DynamoDB client for the request path: each call gets `callTimeoutMs` (about 150 ms) and one retry, so a slow or
 * dead endpoint turns into the route's fail mode within the engine's budget instead of holding the authorizer for
 * seconds. The SDK honours AWS_ENDPOINT_URL_DYNAMODB; `config` may name credentials or a Region (the default chain
 * otherwise).
 */
export function createRequestPathClient(
  callTimeoutMs = 150,
  config: Pick<DynamoDBClientConfig, 'credentials' | 'region'> = {},
): DynamoDBClient {
  return new DynamoDBClient({
    ...config,
    maxAttempts: 2,
    // throwOnRequestTimeout: a budget timeout is an error the adapter translates, not a warning on stderr.
    requestHandler: {
      connectionTimeout: callTimeoutMs,
      requestTimeout: callTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}

/** Builds the UpdateItem expression of a {@link CounterUpdate}. */
export function toUpdateExpression(u: CounterUpdate): {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
} {
  const names: Record<string, string> = { '#ttl': TTL_ATTRIBUTE };
  const values: Record<string, AttributeValue> = { ':ttl': { N: String(u.expiresAt) } };
  const adds: string[] = [];
  const sets: string[] = ['#ttl = :ttl'];
  let n = 0;
  const name = (attr: string): string => {
    const k = `#a${n}`;
    names[k] = attr;
    return k;
  };
  for (const [attr, by] of Object.entries(u.add)) {
    n += 1;
    adds.push(`${name(attr)} :v${n}`);
    values[`:v${n}`] = { N: String(by) };
  }
  for (const [attr, slots] of Object.entries(u.addToSet)) {
    if (slots.length === 0) continue;
    n += 1;
    adds.push(`${name(attr)} :v${n}`);
    values[`:v${n}`] = { NS: slots.map(String) };
  }
  for (const [attr, v] of Object.entries(u.setIfNotExists)) {
    n += 1;
    const k = name(attr);
    sets.push(`${k} = if_not_exists(${k}, :v${n})`);
    values[`:v${n}`] = { N: String(v) };
  }
  for (const [attr, v] of Object.entries(u.set)) {
    n += 1;
    sets.push(`${name(attr)} = :v${n}`);
    values[`:v${n}`] = { N: String(v) };
  }
  const removes = u.remove.map((attr) => {
    n += 1;
    return name(attr);
  });
  const parts = [`SET ${sets.join(', ')}`];
  if (adds.length > 0) parts.push(`ADD ${adds.join(', ')}`);
  if (removes.length > 0) parts.push(`REMOVE ${removes.join(', ')}`);
  return {
    UpdateExpression: parts.join(' '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function fromItem(item: Record<string, AttributeValue> | undefined): Item | undefined {
  return item ? (unmarshall(item) as Item) : undefined;
}

/** The engine's {@link CounterStore} over one DynamoDB table. SDK errors become {@link StoreUnavailableError}. */
export class DynamoCounterStore implements CounterStore {
  private readonly table: string;
  private readonly client: DynamoDBClient;
  private readonly regions: RegionLayout | undefined;
  /** Capacity units consumed, when ReturnConsumedCapacity is on (benchmarks). */
  readonly consumed = { read: 0, write: 0 };
  trackCapacity = false;

  constructor(options: DynamoCounterStoreOptions) {
    this.table = options.tableName;
    this.client = options.client ?? createRequestPathClient();
    this.regions = options.regions;
  }

  private capacity(): { ReturnConsumedCapacity?: 'TOTAL' } {
    return this.trackCapacity ? { ReturnConsumedCapacity: 'TOTAL' } : {};
  }

  private async update(u: CounterUpdate, signal?: AbortSignal): Promise<Item | undefined> {
    const out = await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: u.pk }, sk: { S: u.sk } },
        ...toUpdateExpression(u),
        ReturnValues: 'ALL_NEW',
        ...this.capacity(),
      }),
      { abortSignal: signal },
    );
    this.consumed.write += out.ConsumedCapacity?.CapacityUnits ?? 0;
    return fromItem(out.Attributes);
  }

  private async readMany(
    keys: readonly { pk: string; sk: string }[],
    signal?: AbortSignal,
  ): Promise<Map<string, Item>> {
    const result = new Map<string, Item>();
    if (keys.length === 0) return result;
    if (keys.length === 1) {
      const key = keys[0]!;
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: marshall(key), ...this.capacity() }),
        { abortSignal: signal },
      );
      this.consumed.read += out.ConsumedCapacity?.CapacityUnits ?? 0;
      const item = fromItem(out.Item);
      if (item) result.set(key.pk, item);
      return result;
    }
    let pending: Record<string, AttributeValue>[] = keys.map((k) => marshall(k));
    // UnprocessedKeys are retried once; what is still missing reads as "no history", never as an error.
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt += 1) {
      const out = await this.client.send(
        new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending } }, ...this.capacity() }),
        { abortSignal: signal },
      );
      for (const c of out.ConsumedCapacity ?? []) this.consumed.read += c.CapacityUnits ?? 0;
      for (const raw of out.Responses?.[this.table] ?? []) {
        const item = fromItem(raw);
        if (item && typeof item.pk === 'string') result.set(item.pk, item);
      }
      pending = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
    }
    return result;
  }

  async exchange(
    update: CounterUpdate | undefined,
    reads: readonly { pk: string; sk: string }[],
    signal: AbortSignal,
  ): Promise<{ updated: Item | undefined; read: ReadonlyMap<string, Item> }> {
    try {
      // With several Regions: this Region's copy is updated while every other copy is read, in the same round trip.
      const plan = this.regions ? planRegionalExchange(this.regions, update, reads) : undefined;
      const write = plan ? plan.update : update;
      const [updated, read] = await Promise.all([
        write ? this.update(write, signal) : Promise.resolve(undefined),
        this.readMany(plan ? plan.reads : reads, signal),
      ]);
      return plan ? plan.assemble(updated, read) : { updated, read };
    } catch (error) {
      throw translate(error);
    }
  }

  async applyUpdates(updates: readonly CounterUpdate[], signal?: AbortSignal): Promise<void> {
    try {
      // Bounded parallelism: a feedback batch may carry hundreds of keys.
      for (let i = 0; i < updates.length; i += 25) {
        await Promise.all(
          updates.slice(i, i + 25).map((u) => this.update(ownRegionUpdate(this.regions, u), signal)),
        );
      }
    } catch (error) {
      throw translate(error);
    }
  }

  async recordOffence(
    scope: BlockScope,
    value: string,
    nowSeconds: number,
    memorySeconds: number,
  ): Promise<number> {
    try {
      const key = offencesKey(scope, value);
      const out = await this.client
        .send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: marshall(key),
            // An offence history whose memory has lapsed starts again at 1 (TTL deletion may not have run yet).
            UpdateExpression: 'SET #ttl = :ttl, lastAt = :now ADD offences :one',
            ConditionExpression: 'attribute_not_exists(pk) OR #ttl > :now',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: marshall({
              ':ttl': nowSeconds + memorySeconds,
              ':now': nowSeconds,
              ':one': 1,
            }),
            ReturnValues: 'UPDATED_NEW',
            ...this.capacity(),
          }),
        )
        .catch(async (error: unknown) => {
          if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
          this.consumed.write += 1;
          return this.client.send(
            new PutItemCommand({
              TableName: this.table,
              Item: marshall({
                ...key,
                offences: 1,
                lastAt: nowSeconds,
                [TTL_ATTRIBUTE]: nowSeconds + memorySeconds,
              }),
              ...this.capacity(),
            }),
          );
        });
      this.consumed.write += out.ConsumedCapacity?.CapacityUnits ?? 0;
      const offences =
        'Attributes' in out && out.Attributes ? Number(unmarshall(out.Attributes).offences) : 1;
      return Number.isFinite(offences) && offences > 0 ? offences : 1;
    } catch (error) {
      throw translate(error);
    }
  }

  async putBlock(record: BlockRecord): Promise<void> {
    try {
      const writes: Promise<unknown>[] = [
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: marshall(blockRecordItem(record), { removeUndefinedValues: true }),
            ...this.capacity(),
          }),
        ),
      ];
      if (!record.simulated) {
        // The flag the request path reads in the same round trip that counts (no extra read per request). With
        // several Regions it goes on this Region's copy: readers in every Region merge the copies, so it reaches them.
        const key = blockFlagKey(this.regions, record.scope, record.value);
        writes.push(
          this.client.send(
            new UpdateItemCommand({
              TableName: this.table,
              Key: marshall(key),
              UpdateExpression: 'SET blockedUntil = :until, #ttl = :until',
              ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
              ExpressionAttributeValues: marshall({ ':until': record.expiresAt }),
              ...this.capacity(),
            }),
          ),
        );
      }
      const outs = await Promise.all(writes);
      for (const o of outs)
        this.consumed.write +=
          (o as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity?.CapacityUnits ?? 0;
    } catch (error) {
      throw translate(error);
    }
  }

  async deleteBlock(scope: BlockScope, value: string, resetEscalation: boolean): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({ TableName: this.table, Key: marshall(blockKey(scope, value)) }),
      );
      await Promise.all(
        blockFlagKeys(this.regions, scope, value).map((key) =>
          this.client
            .send(
              new UpdateItemCommand({
                TableName: this.table,
                Key: marshall(key),
                UpdateExpression: 'REMOVE blockedUntil',
                // Only copies that carry a flag are written: with several Regions, writing another Region's copy
                // races that Region's counting writes (last writer wins), so no copy is written without need.
                ConditionExpression: this.regions ? 'attribute_exists(blockedUntil)' : 'attribute_exists(pk)',
              }),
            )
            .catch((error: unknown) => {
              if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
            }),
        ),
      );
      if (resetEscalation) {
        await this.client.send(
          new DeleteItemCommand({ TableName: this.table, Key: marshall(offencesKey(scope, value)) }),
        );
      }
    } catch (error) {
      throw translate(error);
    }
  }
}

function translate(error: unknown): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) return error;
  const e = error as Error;
  const name = e?.name ?? 'Error';
  const reason =
    name === 'AbortError' || name === 'TimeoutError'
      ? 'timed out'
      : `${name}: ${e?.message ?? String(error)}`;
  return new StoreUnavailableError(`counter store unavailable (${reason})`, { cause: error });
}
