import type { BlockRecord } from '../store/table-schema';
import type { IpVersion } from './address';
import {
  type CapacityPlan,
  type CollapsedPrefix,
  type LeftOutEntry,
  planCapacity,
  WAF_MAX_ADDRESSES_PER_SET,
} from './capacity';
import { desiredState, type RejectedBlock } from './desired-state';
import type { IpSetRef } from './ip-set-arn';

/** What one sync of one IP set did. */
export interface SyncOutcome {
  /** True when an UpdateIPSet was applied (false: the set already matched). */
  readonly updated: boolean;
  readonly added: number;
  readonly removed: number;
  /** Entries in the set afterwards. */
  readonly size: number;
  /** `WAFOptimisticLockException`s met and retried. */
  readonly lockConflicts: number;
  /** Throttling responses met and retried. */
  readonly throttled: number;
}

/**
 * Port to the IP sets: make one set hold exactly `addresses` (re-reading and retrying as it needs to).
 * `version` is the IP version the set is configured for; a set of the other version is an error.
 */
export interface IpSetWriter {
  sync(ref: IpSetRef, version: IpVersion, addresses: readonly string[]): Promise<SyncOutcome>;
}

/** Inputs of one reconcile. */
export interface ReconcileInput {
  /** Block records as listed (expired and simulated ones are filtered here too). */
  readonly records: Iterable<BlockRecord>;
  readonly nowSeconds: number;
  /** The IP sets per version, in a fixed order (the order of the configuration). */
  readonly ipSets: Readonly<Record<IpVersion, readonly IpSetRef[]>>;
  /** Entries per set at most; see {@link CapacityOptions.highWater}. */
  readonly highWater: number;
  /** See {@link CapacityOptions.collapseMinEntries}. */
  readonly collapseMinEntries: number;
}

/** Result for one IP set. */
export interface SetReport {
  readonly ref: IpSetRef;
  readonly version: IpVersion;
  readonly desired: number;
  /** Set on success. */
  readonly outcome?: SyncOutcome;
  /** Set on failure; the other sets are still synced. */
  readonly error?: unknown;
}

/** Result of one reconcile: enough for metrics, logs and tests. */
export interface ReconcileReport {
  readonly sets: readonly SetReport[];
  /** Entries that did not fit, per version (a version with no set configured leaves all its entries out). */
  readonly leftOut: Readonly<Record<IpVersion, readonly LeftOutEntry[]>>;
  readonly collapsed: Readonly<Record<IpVersion, readonly CollapsedPrefix[]>>;
  readonly rejected: readonly RejectedBlock[];
  readonly ignored: { readonly expired: number; readonly simulated: number; readonly notNetwork: number };
  /** True when every set was synced. */
  readonly ok: boolean;
}

/** Capacity used of one set, in percent of WAF's hard limit (what alarms care about). */
export function capacityUsedPercent(size: number): number {
  return (size / WAF_MAX_ADDRESSES_PER_SET) * 100;
}

/**
 * Makes the IP sets equal to the desired state computed from `records`. Sets are synced one after another (WAF
 * allows about one update per second per account, so parallel calls would only be throttled); a failing set does
 * not stop the others, and the report says which failed. Running it twice, or twice at once, gives the same sets.
 */
export async function reconcile(input: ReconcileInput, writer: IpSetWriter): Promise<ReconcileReport> {
  const desired = desiredState(input.records, input.nowSeconds);
  const plans: Record<IpVersion, CapacityPlan> = {
    IPV4: planCapacity('IPV4', desired.entries.IPV4, {
      setCount: input.ipSets.IPV4.length,
      highWater: input.highWater,
      collapseMinEntries: input.collapseMinEntries,
    }),
    IPV6: planCapacity('IPV6', desired.entries.IPV6, {
      setCount: input.ipSets.IPV6.length,
      highWater: input.highWater,
      collapseMinEntries: input.collapseMinEntries,
    }),
  };

  const sets: SetReport[] = [];
  for (const version of ['IPV4', 'IPV6'] as const) {
    const refs = input.ipSets[version];
    for (const [index, ref] of refs.entries()) {
      const addresses = plans[version].sets[index] ?? [];
      try {
        const outcome = await writer.sync(ref, version, addresses);
        sets.push({ ref, version, desired: addresses.length, outcome });
      } catch (error) {
        sets.push({ ref, version, desired: addresses.length, error });
      }
    }
  }
  return {
    sets,
    leftOut: { IPV4: plans.IPV4.leftOut, IPV6: plans.IPV6.leftOut },
    collapsed: { IPV4: plans.IPV4.collapsed, IPV6: plans.IPV6.collapsed },
    rejected: desired.rejected,
    ignored: desired.ignored,
    ok: sets.every((s) => s.error === undefined),
  };
}
