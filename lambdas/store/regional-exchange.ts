import { type CounterUpdate, type Item, mergeRegionalItems } from '../engine/counter-layout';
import { type RegionLayout, regionalKey } from './regions';

type Key = { pk: string; sk: string };

/** What a store sends for one exchange in a multi-Region table, and how it turns the answers back into items. */
export interface RegionalExchangePlan {
  /** The update, on this Region's copy of the item. */
  readonly update: CounterUpdate | undefined;
  /** Every Region's copy of each read key, and the other Regions' copies of the updated key. */
  readonly reads: readonly Key[];
  /** Merges the copies: the updated item (logical key) and the read items by logical pk. */
  assemble(
    updated: Item | undefined,
    read: ReadonlyMap<string, Item>,
  ): { updated: Item | undefined; read: Map<string, Item> };
}

/**
 * Plans one exchange over Region-qualified counter items (see `regions.ts`): still one round trip, the UpdateItem
 * on this Region's copy in parallel with one batch read that also fetches the other Regions' copies. Writes do not
 * grow; reads grow by (Regions − 1) items per key of the round trip. Both stores (DynamoDB and in-memory) use it, so
 * they cannot differ in what a multi-Region reader sees.
 */
export function planRegionalExchange(
  layout: RegionLayout,
  update: CounterUpdate | undefined,
  reads: readonly Key[],
): RegionalExchangePlan {
  const others = layout.all.filter((r) => r !== layout.own);
  const keys = new Map<string, Key>();
  const add = (k: Key) => keys.set(`${k.pk}|${k.sk}`, k);
  if (update) for (const r of others) add(regionalKey(update, r));
  for (const k of reads) for (const r of layout.all) add(regionalKey(k, r));
  const copies = (k: Key, read: ReadonlyMap<string, Item>, regions: readonly string[]) =>
    regions.map((r) => read.get(regionalKey(k, r).pk));
  return {
    update: update ? { ...update, ...regionalKey(update, layout.own) } : undefined,
    reads: [...keys.values()],
    assemble(updated, read) {
      const out = new Map<string, Item>();
      for (const k of reads) {
        const merged = mergeRegionalItems(k, copies(k, read, layout.all));
        if (merged) out.set(k.pk, merged);
      }
      return {
        updated: update ? mergeRegionalItems(update, [updated, ...copies(update, read, others)]) : undefined,
        read: out,
      };
    },
  };
}

/** An update on this Region's copy of its item (feedback, block flags, TTL fixes). */
export function ownRegionUpdate(layout: RegionLayout | undefined, u: CounterUpdate): CounterUpdate {
  return layout ? { ...u, ...regionalKey(u, layout.own) } : u;
}
