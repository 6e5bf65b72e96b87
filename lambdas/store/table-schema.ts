/**
 * The one Gatewarden table: its key design, attribute names and item shapes.
 *
 * Used by the DynamoDB adapter, the CDK construct, the WAF updater and the operator CLI, so the layout is
 * defined exactly once. No SDK imports: this is plain data.
 *
 * | item            | pk                          | sk         | notes                                              |
 * |-----------------|-----------------------------|------------|----------------------------------------------------|
 * | counter         | `<scope>#<value>`           | `counter`  | minute buckets `r<minute>`, sets, `blockedUntil`   |
 * | block record    | `block#<scope>#<value>`     | `block`    | `listKey = "block"` puts it in the sparse index    |
 * | offence history | `block#<scope>#<value>`     | `offences` | escalation memory, outlives the block itself       |
 *
 * Every item carries `expiresAt` (epoch seconds), the table's TTL attribute. DynamoDB deletes expired items up
 * to days late, so readers compare `expiresAt` with their own clock and ignore what has expired.
 */

/** Partition key attribute. */
export const PK = 'pk';
/** Sort key attribute. */
export const SK = 'sk';
/** The TTL attribute of every item (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';
/** Sparse global secondary index listing block records by expiry, so active blocks need no table scan. */
export const ACTIVE_BLOCKS_INDEX = 'active-blocks';
/** Partition key of the active-blocks index; only block records carry it. */
export const LIST_KEY = 'listKey';
/** The value of {@link LIST_KEY} on block records. */
export const BLOCK_LIST_VALUE = 'block';

export const COUNTER_SK = 'counter';
export const BLOCK_SK = 'block';
export const OFFENCES_SK = 'offences';

/** What a counter or a block is keyed by. */
export type CounterScope = 'ip' | 'prefix' | 'token' | 'sub' | 'client' | 'device' | 'global';
/** Scopes a block can apply to. `ip` and `prefix` blocks also reach WAF. */
export type BlockScope = 'ip' | 'prefix' | 'token' | 'subject';
export const BLOCK_SCOPES: readonly BlockScope[] = ['ip', 'prefix', 'token', 'subject'];

/** A block decision as stored. */
export interface BlockRecord {
  readonly scope: BlockScope;
  /** IP address, CIDR prefix, token hash or subject. */
  readonly value: string;
  /** Epoch seconds. */
  readonly createdAt: number;
  /** Epoch seconds; the block ends here (also the TTL attribute). */
  readonly expiresAt: number;
  /** Risk score 0-100 that caused it. */
  readonly score: number;
  readonly reason: string;
  /** How many times this client has been blocked within the escalation memory (1 = first). */
  readonly offences: number;
  /** True when decided in shadow mode: recorded for reporting, never enforced, never sent to WAF. */
  readonly simulated: boolean;
  /** Decision that created it, for correlation with logs. */
  readonly decisionId?: string;
  /** Who created it: `engine` or `operator`. */
  readonly origin?: 'engine' | 'operator';
}

export function counterKey(scope: CounterScope, value: string): { pk: string; sk: string } {
  return { pk: `${scope}#${value}`, sk: COUNTER_SK };
}

export function blockKey(scope: BlockScope, value: string): { pk: string; sk: string } {
  return { pk: `block#${scope}#${value}`, sk: BLOCK_SK };
}

export function offencesKey(scope: BlockScope, value: string): { pk: string; sk: string } {
  return { pk: `block#${scope}#${value}`, sk: OFFENCES_SK };
}

/** The counter scope that carries the denormalised `blockedUntil` flag for a block scope. */
export function counterScopeForBlock(scope: BlockScope): CounterScope {
  return scope === 'subject' ? 'sub' : scope;
}

/** True for a stream/key pk that names a block record or offence history. */
export function isBlockPk(pk: string): boolean {
  return pk.startsWith('block#');
}

/** Parses a block record from a plain attribute map (already unmarshalled); undefined when malformed. */
export function parseBlockRecord(item: Record<string, unknown> | undefined): BlockRecord | undefined {
  if (!item || item[SK] !== BLOCK_SK) return undefined;
  const scope = item.scope;
  const value = item.value;
  const createdAt = Number(item.createdAt);
  const expiresAt = Number(item[TTL_ATTRIBUTE]);
  if (typeof scope !== 'string' || !(BLOCK_SCOPES as readonly string[]).includes(scope)) return undefined;
  if (typeof value !== 'string' || value.length === 0) return undefined;
  if (!Number.isFinite(createdAt) || !Number.isFinite(expiresAt)) return undefined;
  return {
    scope: scope as BlockScope,
    value,
    createdAt,
    expiresAt,
    score: Number(item.score ?? 0),
    reason: String(item.reason ?? ''),
    offences: Number(item.offences ?? 1),
    simulated: item.simulated === true,
    ...(typeof item.decisionId === 'string' ? { decisionId: item.decisionId } : {}),
    ...(item.origin === 'operator' || item.origin === 'engine' ? { origin: item.origin } : {}),
  };
}

/** Serialises a block record to a plain attribute map (to be marshalled by the adapter). */
export function blockRecordItem(record: BlockRecord): Record<string, unknown> {
  return {
    ...blockKey(record.scope, record.value),
    [LIST_KEY]: BLOCK_LIST_VALUE,
    kind: 'block',
    scope: record.scope,
    value: record.value,
    createdAt: record.createdAt,
    [TTL_ATTRIBUTE]: record.expiresAt,
    score: record.score,
    reason: record.reason,
    offences: record.offences,
    simulated: record.simulated,
    ...(record.decisionId ? { decisionId: record.decisionId } : {}),
    origin: record.origin ?? 'engine',
  };
}

/** True when a block is in force at `nowSeconds` (expired records are ignored: TTL deletion lags). */
export function isActiveBlock(record: BlockRecord, nowSeconds: number): boolean {
  return record.expiresAt > nowSeconds;
}
