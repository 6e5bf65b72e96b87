import { estimateDistinct } from './sketch';

/**
 * How counts live inside a counter item (see `lambdas/store/table-schema.ts` for keys). Pure: the adapter turns a
 * {@link CounterUpdate} into one UpdateItem and hands back plain attribute maps.
 *
 * - `<kind><minute>` numbers: events of a kind in one wall-clock minute (minute = floor(epochSeconds / 60)).
 *   Kinds: `r` requests (on IP items: anonymous requests), `a` authenticated requests per IP, `f` failed authentications, `h` HEAD requests, `x` error answers (from access logs),
 *   `i` malicious-input hits.
 * - `<set><epoch>` number sets: hashed distinct values per 10-minute epoch (epoch = floor(epochSeconds / 600)).
 *   Sets: `ips` client IPs, `sub` subjects, `tok` tokens, `ids` numeric ids requested.
 * - `firstSeen`, `blockedUntil`, `bt_<tokenHash>` (token block on a subject item), `j_<hash>` (journey marks).
 *
 * Sliding windows are read from minute buckets (the oldest bucket weighted by the part still inside the window);
 * attributes older than the long window are removed by later writes, so items stay small.
 */
export type BucketKind = 'r' | 'a' | 'f' | 'h' | 'x' | 'i';
export type SetKind = 'ips' | 'sub' | 'tok' | 'ids';

export const BUCKET_SECONDS = 60;
export const SET_EPOCH_SECONDS = 600;

export const minuteOf = (seconds: number): number => Math.floor(seconds / BUCKET_SECONDS);
export const epochOf = (seconds: number): number => Math.floor(seconds / SET_EPOCH_SECONDS);

export const bucketAttr = (kind: BucketKind, minute: number): string => `${kind}${minute}`;
export const setAttr = (kind: SetKind, epoch: number): string => `${kind}${epoch}`;

/** One atomic update of one counter item. */
export interface CounterUpdate {
  readonly pk: string;
  readonly sk: string;
  readonly add: Readonly<Record<string, number>>;
  readonly addToSet: Readonly<Record<string, readonly number[]>>;
  readonly setIfNotExists: Readonly<Record<string, number>>;
  readonly set: Readonly<Record<string, number>>;
  readonly remove: readonly string[];
  /** New value of the TTL attribute. */
  readonly expiresAt: number;
}

export type Item = Readonly<Record<string, unknown>>;

/** Sliding-window count of `kind` over `windowSeconds` ending at `nowSeconds`. */
export function windowCount(
  item: Item | undefined,
  kind: BucketKind,
  nowSeconds: number,
  windowSeconds: number,
): number {
  if (!item) return 0;
  const minute = minuteOf(nowSeconds);
  const full = Math.max(1, Math.round(windowSeconds / BUCKET_SECONDS));
  const names = bucketNamesBack(kind, minute, full);
  let total = 0;
  for (let k = 0; k < full; k += 1) total += num(item[names[k]!]);
  // The bucket that is leaving the window counts for the share of it still inside.
  const elapsed = (nowSeconds - minute * BUCKET_SECONDS) / BUCKET_SECONDS;
  total += num(item[names[full]!]) * (1 - elapsed);
  return total;
}

/**
 * Attribute names of `kind` for `minute`, `minute - 1`, … `minute - back`. Every decision reads the same few dozen
 * names within a minute, so they are built once per kind and minute instead of on every read.
 */
const bucketNameCache = new Map<BucketKind, { minute: number; names: string[] }>();
function bucketNamesBack(kind: BucketKind, minute: number, back: number): readonly string[] {
  let cached = bucketNameCache.get(kind);
  if (cached?.minute !== minute) {
    cached = { minute, names: [] };
    bucketNameCache.set(kind, cached);
  }
  for (let k = cached.names.length; k <= back; k += 1) cached.names.push(bucketAttr(kind, minute - k));
  return cached.names;
}

/** Estimated distinct values in the current and previous 10-minute epochs. */
export function distinctCount(item: Item | undefined, kind: SetKind, nowSeconds: number): number {
  if (!item) return 0;
  const epoch = epochOf(nowSeconds);
  const slots = new Set<number>();
  for (const e of [epoch, epoch - 1]) {
    const v = item[setAttr(kind, e)];
    if (v instanceof Set) for (const s of v) slots.add(Number(s));
    else if (Array.isArray(v)) for (const s of v) slots.add(Number(s));
  }
  return estimateDistinct(slots.size);
}

/**
 * Attribute names in `item` that no reader needs any more (buckets older than the long window plus one, sets older
 * than the previous epoch). Later writes remove them.
 */
export function staleAttributes(
  item: Item | undefined,
  nowSeconds: number,
  longWindowSeconds: number,
): string[] {
  if (!item) return [];
  const oldestMinute = minuteOf(nowSeconds) - Math.max(1, Math.round(longWindowSeconds / BUCKET_SECONDS)) - 1;
  const oldestEpoch = epochOf(nowSeconds) - 1;
  const stale: string[] = [];
  for (const name of Object.keys(item)) {
    const bucket = /^[rafhxi](\d+)$/.exec(name);
    if (bucket && Number(bucket[1]) < oldestMinute) stale.push(name);
    const set = /^(?:ips|sub|tok|ids)(\d+)$/.exec(name);
    if (set && Number(set[1]) < oldestEpoch) stale.push(name);
  }
  return stale;
}

export function num(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** Builds a counter update, merging adds of the same attribute. */
export class UpdateBuilder {
  private readonly adds: Record<string, number> = {};
  private readonly sets: Record<string, number[]> = {};
  private readonly ifNotExists: Record<string, number> = {};
  private readonly plain: Record<string, number> = {};
  private readonly removes = new Set<string>();

  constructor(
    readonly pk: string,
    readonly sk: string,
  ) {}

  add(attr: string, n: number): this {
    this.adds[attr] = (this.adds[attr] ?? 0) + n;
    return this;
  }

  addToSet(attr: string, slot: number): this {
    const list = this.sets[attr] ?? [];
    if (!list.includes(slot)) list.push(slot);
    this.sets[attr] = list;
    return this;
  }

  setIfNotExists(attr: string, value: number): this {
    this.ifNotExists[attr] = value;
    return this;
  }

  set(attr: string, value: number): this {
    this.plain[attr] = value;
    return this;
  }

  remove(attrs: Iterable<string>): this {
    for (const a of attrs) this.removes.add(a);
    return this;
  }

  /** Number of distinct attributes this builder touches (0: nothing to write). */
  get size(): number {
    return (
      Object.keys(this.adds).length +
      Object.keys(this.sets).length +
      Object.keys(this.ifNotExists).length +
      Object.keys(this.plain).length
    );
  }

  /** Adds everything `other` holds into this builder (used to put back a write that failed). */
  mergeFrom(other: UpdateBuilder): this {
    for (const [a, n] of Object.entries(other.adds)) this.add(a, n);
    for (const [a, slots] of Object.entries(other.sets)) for (const slot of slots) this.addToSet(a, slot);
    for (const [a, v] of Object.entries(other.ifNotExists))
      if (!(a in this.ifNotExists)) this.setIfNotExists(a, v);
    for (const [a, v] of Object.entries(other.plain)) if (!(a in this.plain)) this.set(a, v);
    return this;
  }

  /** The item as it will be once this builder is applied to `item` (what a write would return). */
  overlay(item: Item | undefined): Item {
    const out: Record<string, unknown> = { ...(item ?? {}) };
    for (const [a, n] of Object.entries(this.adds)) out[a] = num(out[a]) + n;
    for (const [a, slots] of Object.entries(this.sets)) {
      const merged = new Set<number>();
      const cur = out[a];
      if (cur instanceof Set || Array.isArray(cur)) for (const v of cur) merged.add(Number(v));
      for (const slot of slots) merged.add(slot);
      out[a] = merged;
    }
    for (const [a, v] of Object.entries(this.ifNotExists)) if (out[a] === undefined) out[a] = v;
    for (const [a, v] of Object.entries(this.plain)) out[a] = v;
    return out;
  }

  build(expiresAt: number): CounterUpdate {
    // An attribute cannot be both updated and removed in one expression.
    const touched = new Set([
      ...Object.keys(this.adds),
      ...Object.keys(this.sets),
      ...Object.keys(this.ifNotExists),
      ...Object.keys(this.plain),
    ]);
    return {
      pk: this.pk,
      sk: this.sk,
      add: this.adds,
      addToSet: this.sets,
      setIfNotExists: this.ifNotExists,
      set: this.plain,
      remove: [...this.removes].filter((a) => !touched.has(a)).slice(0, 40),
      expiresAt,
    };
  }
}
