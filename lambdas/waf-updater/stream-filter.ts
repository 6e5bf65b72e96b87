import { BLOCK_SK, SK } from '../store/table-schema';

/**
 * Event-source filter pattern for the WAF updater's DynamoDB Stream trigger: only block records (sort key
 * `block`) invoke it, on INSERT, MODIFY and REMOVE - including TTL deletions, which arrive as REMOVE records from
 * `dynamodb.amazonaws.com`. Counter writes (sort key `counter`, one per request) and offence histories never invoke
 * it. Keys are always present in stream records, whatever the stream view type.
 *
 * The CDK construct passes each pattern to `FilterCriteria.filter(...)`; tests check records from a real stream
 * against the same objects.
 */
export const BLOCK_RECORD_STREAM_FILTER = {
  eventName: ['INSERT', 'MODIFY', 'REMOVE'],
  dynamodb: { Keys: { [SK]: { S: [BLOCK_SK] } } },
};

/** All patterns of the trigger (a record matching any one is delivered); today just {@link BLOCK_RECORD_STREAM_FILTER}. */
export const WAF_UPDATER_STREAM_FILTER_PATTERNS = [BLOCK_RECORD_STREAM_FILTER];

/** A DynamoDB stream record's key says it is a block record (the handler's own guard if the filter is missing). */
export function isBlockStreamKey(keys: Record<string, { S?: string } | undefined> | undefined): boolean {
  return keys?.[SK]?.S === BLOCK_SK;
}
