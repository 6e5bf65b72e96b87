import type { CounterUpdate, Item } from '../../lambdas/engine/counter-layout';
import { type CounterStore, StoreUnavailableError } from '../../lambdas/engine/ports';
import { ownRegionUpdate, planRegionalExchange } from '../../lambdas/store/regional-exchange';
import { blockFlagKey, blockFlagKeys, type RegionLayout } from '../../lambdas/store/regions';
import {
  type BlockRecord,
  type BlockScope,
  blockKey,
  blockRecordItem,
  offencesKey,
  TTL_ATTRIBUTE,
} from '../../lambdas/store/table-schema';

/**
 * A tiny in-memory {@link CounterStore} with DynamoDB's UpdateItem semantics for the operations the engine uses
 * (ADD numbers and number sets, SET, if_not_exists, REMOVE, TTL attribute). For fuzzing the handler contract at
 * 100,000 events per run and for the engine's CPU benchmark, where DynamoDB Local would dominate; everything about the store itself
 * is tested against DynamoDB Local elsewhere. `failing = true` makes every call reject like the real adapter.
 *
 * With `regions`, counter items are written per Region and read merged, exactly as the DynamoDB adapter does (both
 * use `lambdas/store/regional-exchange.ts`); `items` may be shared between stores to model one table replica.
 */
export class MemoryCounterStore implements CounterStore {
  readonly items: Map<string, Record<string, unknown>>;
  private readonly regions: RegionLayout | undefined;
  /** Every key the engine wrote or read (pk), in order; cleared by the caller when needed. */
  readonly touchedKeys: string[] = [];
  failing = false;

  constructor(
    options: { readonly regions?: RegionLayout; readonly items?: Map<string, Record<string, unknown>> } = {},
  ) {
    this.regions = options.regions;
    this.items = options.items ?? new Map();
  }

  private check(): void {
    if (this.failing) throw new StoreUnavailableError('counter store unavailable (injected failure)');
  }

  private apply(u: CounterUpdate): Item {
    this.touchedKeys.push(u.pk);
    const key = `${u.pk}|${u.sk}`;
    const item: Record<string, unknown> = { ...(this.items.get(key) ?? { pk: u.pk, sk: u.sk }) };
    item[TTL_ATTRIBUTE] = u.expiresAt;
    for (const [attr, by] of Object.entries(u.add)) item[attr] = Number(item[attr] ?? 0) + by;
    for (const [attr, slots] of Object.entries(u.addToSet)) {
      const set = new Set<number>(item[attr] instanceof Set ? (item[attr] as Set<number>) : []);
      for (const slot of slots) set.add(slot);
      if (set.size > 0) item[attr] = set;
    }
    for (const [attr, v] of Object.entries(u.setIfNotExists)) if (!(attr in item)) item[attr] = v;
    for (const [attr, v] of Object.entries(u.set)) item[attr] = v;
    for (const attr of u.remove) delete item[attr];
    this.items.set(key, item);
    return item;
  }

  async exchange(
    update: CounterUpdate | undefined,
    reads: readonly { pk: string; sk: string }[],
    signal: AbortSignal,
  ): Promise<{ updated: Item | undefined; read: ReadonlyMap<string, Item> }> {
    this.check();
    if (signal.aborted) throw new StoreUnavailableError('counter store unavailable (timed out)');
    const plan = this.regions ? planRegionalExchange(this.regions, update, reads) : undefined;
    const write = plan ? plan.update : update;
    const updated = write ? this.apply(write) : undefined;
    const read = new Map<string, Item>();
    for (const k of plan ? plan.reads : reads) {
      this.touchedKeys.push(k.pk);
      const item = this.items.get(`${k.pk}|${k.sk}`);
      if (item) read.set(k.pk, item);
    }
    return plan ? plan.assemble(updated, read) : { updated, read };
  }

  async applyUpdates(updates: readonly CounterUpdate[]): Promise<void> {
    this.check();
    for (const u of updates) this.apply(ownRegionUpdate(this.regions, u));
  }

  async recordOffence(
    scope: BlockScope,
    value: string,
    nowSeconds: number,
    memorySeconds: number,
  ): Promise<number> {
    this.check();
    const k = offencesKey(scope, value);
    const key = `${k.pk}|${k.sk}`;
    const prior = this.items.get(key);
    const live = prior !== undefined && Number(prior[TTL_ATTRIBUTE]) > nowSeconds;
    const offences = live ? Number(prior.offences) + 1 : 1;
    this.items.set(key, { ...k, offences, lastAt: nowSeconds, [TTL_ATTRIBUTE]: nowSeconds + memorySeconds });
    return offences;
  }

  async putBlock(record: BlockRecord): Promise<void> {
    this.check();
    const k = blockKey(record.scope, record.value);
    this.items.set(`${k.pk}|${k.sk}`, blockRecordItem(record));
    if (!record.simulated) {
      const c = blockFlagKey(this.regions, record.scope, record.value);
      const key = `${c.pk}|${c.sk}`;
      this.items.set(key, {
        ...(this.items.get(key) ?? c),
        blockedUntil: record.expiresAt,
        [TTL_ATTRIBUTE]: record.expiresAt,
      });
    }
  }

  async deleteBlock(scope: BlockScope, value: string, resetEscalation: boolean): Promise<void> {
    this.check();
    const k = blockKey(scope, value);
    this.items.delete(`${k.pk}|${k.sk}`);
    for (const c of blockFlagKeys(this.regions, scope, value)) {
      const counter = this.items.get(`${c.pk}|${c.sk}`);
      if (counter) delete counter.blockedUntil;
    }
    if (resetEscalation) {
      const o = offencesKey(scope, value);
      this.items.delete(`${o.pk}|${o.sk}`);
    }
  }
}
