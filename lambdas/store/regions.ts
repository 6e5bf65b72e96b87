/**
 * Which Region writes which counter item, when the table is a DynamoDB global table.
 *
 * A global table in its default mode (multi-Region eventual consistency) resolves concurrent writes to one item in
 * two Regions last-writer-wins, per item: the item converges to the version of the later write, so the other
 * Region's `ADD`s to it are lost ("How DynamoDB global tables work", Amazon DynamoDB Developer Guide,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html). Attribute-level
 * tricks inside one item cannot help, since the whole item is what wins. So with several Regions each Region writes
 * its own copy of every counter item (the logical pk with an `@<region>` suffix) and readers merge the copies of all
 * Regions. One Region (or none named) keeps the plain keys, so a single-Region table is laid out as it always was.
 *
 * Block records and offence histories are not Region-qualified: a block must reach every Region as one record.
 * No SDK imports: plain data, shared by the adapters and the in-memory store.
 */
import { type BlockScope, counterKey, counterScopeForBlock, isBlockPk } from './table-schema';

/** The Regions of the table and the one this process writes in. */
export interface RegionLayout {
  /** The Region this process runs in (its writes go to its own items). */
  readonly own: string;
  /** Every Region of the table, `own` included, each once. */
  readonly all: readonly string[];
}

/** A Region name as AWS spells them (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`). */
export const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

/** Most Regions a table may list: a round trip reads up to 4 keys in every Region with one BatchGetItem (≤ 100 keys). */
export const MAX_REGIONS = 25;

/** Thrown for a Region list that cannot be used; the message names the variable and the fix. */
export class RegionConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RegionConfigError';
  }
}

/**
 * The layout for `GATEWARDEN_REGIONS` (comma-separated table Regions) in Region `own` (the Lambda's AWS_REGION).
 * Undefined when fewer than two Regions are named: keys stay unqualified.
 * @throws {RegionConfigError} on a malformed list, or when `own` is missing or not in it.
 */
export function regionLayout(list: string | undefined, own: string | undefined): RegionLayout | undefined {
  const all = (list ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
  const bad = all.filter((r) => !REGION_NAME.test(r));
  if (bad.length > 0)
    throw new RegionConfigError(
      `GATEWARDEN_REGIONS must list Region names, comma-separated (e.g. us-east-1,eu-west-1); not Regions: ${bad.join(', ')}`,
    );
  if (new Set(all).size !== all.length)
    throw new RegionConfigError(`GATEWARDEN_REGIONS lists a Region twice: ${all.join(',')}`);
  if (all.length > MAX_REGIONS)
    throw new RegionConfigError(
      `GATEWARDEN_REGIONS lists ${all.length} Regions; at most ${MAX_REGIONS} (a round trip reads 4 keys per Region in one BatchGetItem of at most 100)`,
    );
  if (all.length < 2) return undefined;
  if (!own)
    throw new RegionConfigError(
      'GATEWARDEN_REGIONS needs the Region this runs in: set AWS_REGION (Lambda sets it) or pass --region',
    );
  if (!all.includes(own))
    throw new RegionConfigError(
      `GATEWARDEN_REGIONS (${all.join(',')}) must include this Region (${own}): list every Region of the table`,
    );
  return { own, all };
}

/** The key of Region `region`'s copy of a counter item; block records and offences keep their key. */
export function regionalKey(key: { pk: string; sk: string }, region: string): { pk: string; sk: string } {
  return isBlockPk(key.pk) ? key : { pk: `${key.pk}@${region}`, sk: key.sk };
}

/**
 * The counter item a new block's flag goes on: this Region's copy (readers in every Region merge the copies, so the
 * flag reaches them with replication), or the one shared item.
 */
export function blockFlagKey(
  layout: RegionLayout | undefined,
  scope: BlockScope,
  value: string,
): { pk: string; sk: string } {
  const logical = counterKey(counterScopeForBlock(scope), value);
  return layout ? regionalKey(logical, layout.own) : logical;
}

/** Every counter item that may carry a block's flag: each Region's copy, or the one shared item. */
export function blockFlagKeys(
  layout: RegionLayout | undefined,
  scope: BlockScope,
  value: string,
): { pk: string; sk: string }[] {
  const logical = counterKey(counterScopeForBlock(scope), value);
  return layout ? layout.all.map((r) => regionalKey(logical, r)) : [logical];
}
