import type { CounterUpdate, Item } from '../lambdas/engine/counter-layout';
import type { CounterStore } from '../lambdas/engine/ports';
import {
  type BlockRecord,
  type BlockScope,
  blockKey,
  blockRecordItem,
  counterKey,
  counterScopeForBlock,
  offencesKey,
  TTL_ATTRIBUTE,
} from '../lambdas/store/table-schema';

/**
 * A {@link CounterStore} in memory with DynamoDB's UpdateItem semantics (ADD to numbers and number sets,
 * `if_not_exists`, SET, REMOVE; sets come back as `Set<number>` like `unmarshall` returns them). No I/O: it isolates
 * the engine's own CPU cost per decision.
 */
export class MemoryCounterStore implements CounterStore {
  private readonly items = new Map<string, Record<string, unknown>>();

  private key(pk: string, sk: string): string {
    return `${pk}\u0000${sk}`;
  }

  private apply(u: CounterUpdate): Item {
    const k = this.key(u.pk, u.sk);
    const item = this.items.get(k) ?? { pk: u.pk, sk: u.sk };
    item[TTL_ATTRIBUTE] = u.expiresAt;
    for (const [attr, by] of Object.entries(u.add)) item[attr] = (Number(item[attr]) || 0) + by;
    for (const [attr, slots] of Object.entries(u.addToSet)) {
      if (slots.length === 0) continue;
      const cur = item[attr];
      const set = cur instanceof Set ? (cur as Set<number>) : new Set<number>();
      for (const s of slots) set.add(s);
      item[attr] = set;
    }
    for (const [attr, v] of Object.entries(u.setIfNotExists)) if (!(attr in item)) item[attr] = v;
    for (const [attr, v] of Object.entries(u.set)) item[attr] = v;
    for (const attr of u.remove) delete item[attr];
    this.items.set(k, item);
    return item;
  }

  async exchange(
    update: CounterUpdate | undefined,
    reads: readonly { pk: string; sk: string }[],
  ): Promise<{ updated: Item | undefined; read: ReadonlyMap<string, Item> }> {
    const updated = update ? this.apply(update) : undefined;
    const read = new Map<string, Item>();
    for (const r of reads) {
      const item = this.items.get(this.key(r.pk, r.sk));
      if (item) read.set(r.pk, item);
    }
    return { updated, read };
  }

  async applyUpdates(updates: readonly CounterUpdate[]): Promise<void> {
    for (const u of updates) this.apply(u);
  }

  async recordOffence(scope: BlockScope, value: string, nowSeconds: number, memorySeconds: number) {
    const key = offencesKey(scope, value);
    const k = this.key(key.pk, key.sk);
    const cur = this.items.get(k);
    const live = cur && Number(cur[TTL_ATTRIBUTE]) > nowSeconds;
    const offences = live ? Number(cur.offences) + 1 : 1;
    this.items.set(k, { ...key, offences, lastAt: nowSeconds, [TTL_ATTRIBUTE]: nowSeconds + memorySeconds });
    return offences;
  }

  async putBlock(record: BlockRecord): Promise<void> {
    const bk = blockKey(record.scope, record.value);
    this.items.set(this.key(bk.pk, bk.sk), blockRecordItem(record));
    if (!record.simulated) {
      const ck = counterKey(counterScopeForBlock(record.scope), record.value);
      const k = this.key(ck.pk, ck.sk);
      const item = this.items.get(k) ?? { ...ck };
      item.blockedUntil = record.expiresAt;
      item[TTL_ATTRIBUTE] = record.expiresAt;
      this.items.set(k, item);
    }
  }

  async deleteBlock(scope: BlockScope, value: string): Promise<void> {
    const bk = blockKey(scope, value);
    this.items.delete(this.key(bk.pk, bk.sk));
    const ck = counterKey(counterScopeForBlock(scope), value);
    const item = this.items.get(this.key(ck.pk, ck.sk));
    if (item) delete item.blockedUntil;
  }
}
