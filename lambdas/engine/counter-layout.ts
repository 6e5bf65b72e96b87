import { estimateDistinct } from './sketch';

/**
 * How counts live inside a counter item (see `lambdas/store/table-schema.ts` for keys). Pure: the adapter turns a
 * {@link CounterUpdate} into one UpdateItem and hands back plain attribute maps.
 *
 * - `<kind><minute>` numbers: events of a kind in one wall-clock minute (minute = floor(epochSeconds / 60)).
 *   Kinds: `r` requests (on IP items: anonymous requests), `a` authenticated requests per IP, `f` failed authentications, `h` HEAD requests, `x` error answers (from access logs),
 *   `i` malicious-input hits, `z` authorization failures (a valid token refused by a route's `require`), `b` malicious-input
 *   hits a backend found in a request body (also counted in `i`): the authorizer never saw them, so the client's next
 *   requests answer for them (see the `malicious-input` signal).
 * - `<set><epoch>` number sets: hashed distinct values per 10-minute epoch (epoch = floor(epochSeconds / 600)).
 *   Sets: `ips` client IPs, `sub` subjects, `tok` tokens, `ids` numeric ids requested, `idb` the blocks of
 *   {@link ID_BLOCK_SIZE} consecutive ids they fall in (with `ids`, how densely a client sweeps: fleet-wide).
 * - `tr<epoch>` numbers: token-carrying requests per 10-minute epoch (prefix items; with `tok`, one-shot tokens).
 * - `firstSeen`, `blockedUntil`, `bt_<tokenHash>` (token block on a subject item), `j_<hash>` (journey marks).
 *
 * Sliding windows are read from minute buckets (the oldest bucket weighted by the part still inside the window);
 * attributes older than the long window are removed by later writes, so items stay small.
 */
export type BucketKind = 'r' | 'a' | 'f' | 'h' | 'x' | 'i' | 'z' | 'b';
export type SetKind = 'ips' | 'sub' | 'tok' | 'ids' | 'idb';

/**
 * Counter items live two days past their last write: long enough that a block flag on them outlives the block
 * (see `keepFlagAlive` in fleet-state.ts for longer blocks), short enough that idle clients' items go away. Stale buckets inside a
 * live item are removed by later writes, so a long-lived item stays small.
 */
export const COUNTER_TTL_SECONDS = 2 * 86_400;

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

/** Sliding-window counts of every bucket kind, over the short and the long window. */
export interface WindowCounts {
  readonly short: Readonly<Record<BucketKind, number>>;
  readonly long: Readonly<Record<BucketKind, number>>;
}

const KIND_CODES: ReadonlyMap<number, BucketKind> = new Map(
  (['r', 'a', 'f', 'h', 'x', 'i', 'z', 'b'] as const).map((k) => [k.charCodeAt(0), k]),
);

/** Adds `value` for a bucket `minutesAgo` old to a window of `full` whole buckets ending now. */
function addToWindow(
  into: Record<BucketKind, number>,
  kind: BucketKind,
  minutesAgo: number,
  full: number,
  value: number,
  leaving: number,
): void {
  if (minutesAgo < full) into[kind] += value;
  // The bucket that is leaving the window counts for the share of it still inside.
  else if (minutesAgo === full) into[kind] += value * leaving;
}

/**
 * Sliding-window counts of every kind in `item` for both windows, in one pass over its attributes (a decision reads a
 * dozen of them). A window of W seconds sums the last round(W / 60) minute buckets, the oldest weighted by the part
 * still inside; buckets from the future (clock skew) are ignored.
 */
export function windowCounts(
  item: Item | undefined,
  nowSeconds: number,
  shortSeconds: number,
  longSeconds: number,
): WindowCounts {
  const short = emptyKinds();
  const long = emptyKinds();
  if (!item) return { short, long };
  const minute = minuteOf(nowSeconds);
  const shortFull = Math.max(1, Math.round(shortSeconds / BUCKET_SECONDS));
  const longFull = Math.max(1, Math.round(longSeconds / BUCKET_SECONDS));
  const leaving = 1 - (nowSeconds - minute * BUCKET_SECONDS) / BUCKET_SECONDS;
  for (const name in item) {
    const kind = KIND_CODES.get(name.charCodeAt(0));
    if (kind === undefined || name.length < 2) continue;
    let m = 0;
    let digits = true;
    for (let i = 1; i < name.length; i += 1) {
      const c = name.charCodeAt(i) - 48;
      if (c < 0 || c > 9) {
        digits = false;
        break;
      }
      m = m * 10 + c;
    }
    if (!digits) continue;
    const ago = minute - m;
    if (ago < 0 || ago > Math.max(shortFull, longFull)) continue;
    const value = num(item[name]);
    addToWindow(short, kind, ago, shortFull, value, leaving);
    addToWindow(long, kind, ago, longFull, value, leaving);
  }
  return { short, long };
}

export function emptyKinds(): Record<BucketKind, number> {
  return { r: 0, a: 0, f: 0, h: 0, x: 0, i: 0, z: 0, b: 0 };
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
    const bucket = /^[rafhxizb](\d+)$/.exec(name);
    if (bucket && Number(bucket[1]) < oldestMinute) stale.push(name);
    const set = /^(?:ips|sub|tok|ids|idb|tr)(\d+)$/.exec(name);
    if (set && Number(set[1]) < oldestEpoch) stale.push(name);
  }
  return stale;
}

/** Ids per block of the `idb` sketch: a dense sweep of n ids touches about n / 8 + 1 blocks, scattered ids n. */
export const ID_BLOCK_SIZE = 8;

/** Attribute of the per-epoch count of token-carrying requests (prefix items). */
export const tokenRequestsAttr = (epoch: number): string => `tr${epoch}`;

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
  /**
   * Adds `other`'s changes to this builder. Counts and set members add up; an if-not-exists value already here
   * stays; for plain values (journey marks) the newer builder wins: `other` when `newer` (a later request), else
   * this one (a failed earlier batch put back under the counts gathered since).
   */
  mergeFrom(other: UpdateBuilder, { newer = false }: { newer?: boolean } = {}): this {
    for (const a in other.adds) this.add(a, other.adds[a]!);
    for (const a in other.sets) for (const slot of other.sets[a]!) this.addToSet(a, slot);
    for (const a in other.ifNotExists)
      if (!(a in this.ifNotExists)) this.setIfNotExists(a, other.ifNotExists[a]!);
    for (const a in other.plain) if (newer || !(a in this.plain)) this.set(a, other.plain[a]!);
    return this;
  }

  /** The item as it will be once this builder is applied to `item` (what a write would return); `item` is kept. */
  overlay(item: Item | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = { ...(item ?? {}) };
    // Sets are copied before they are added to: the item's own sets stay as they were.
    for (const a in this.sets) {
      const cur = out[a];
      out[a] = new Set<number>(cur instanceof Set || Array.isArray(cur) ? [...cur].map(Number) : []);
    }
    return this.applyTo(out);
  }

  /** Applies this builder to `target` in place, as a write would. */
  applyTo(target: Record<string, unknown>): Record<string, unknown> {
    for (const a in this.adds) target[a] = num(target[a]) + this.adds[a]!;
    for (const a in this.sets) {
      let cur = target[a];
      if (!(cur instanceof Set)) {
        cur = new Set<number>(Array.isArray(cur) ? cur.map(Number) : []);
        target[a] = cur;
      }
      for (const slot of this.sets[a]!) (cur as Set<number>).add(slot);
    }
    for (const a in this.ifNotExists) if (target[a] === undefined) target[a] = this.ifNotExists[a];
    for (const a in this.plain) target[a] = this.plain[a];
    return target;
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

/** Attributes that count events (minute buckets, token-request epochs, the traffic item's slots): summed on merge. */
const COUNT_ATTRIBUTE = /^(?:[rafhxizqn]|tr)\d+$/;

/**
 * One item from the copies of a counter item that several Regions wrote (see `lambdas/store/regions.ts`): what the
 * item would hold had every Region written it without losing a write. Counts add up, sketches and sets are
 * unioned, `firstSeen` is the earliest, and every other number (`blockedUntil`, the TTL, journey marks, which are
 * times) is the latest. The result carries the logical key; undefined when no copy exists.
 */
export function mergeRegionalItems(
  key: { pk: string; sk: string },
  copies: readonly (Item | undefined)[],
): Item | undefined {
  const present = copies.filter((c): c is Item => c !== undefined);
  if (present.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const copy of present) {
    for (const name in copy) {
      const v = copy[name];
      const cur = out[name];
      if (v instanceof Set || Array.isArray(v)) {
        const union = cur instanceof Set ? cur : new Set<number>();
        for (const slot of v) union.add(Number(slot));
        out[name] = union;
      } else if (typeof v === 'number' || typeof v === 'bigint') {
        const n = num(v);
        if (cur === undefined) out[name] = n;
        else if (COUNT_ATTRIBUTE.test(name)) out[name] = num(cur) + n;
        else if (name === 'firstSeen') out[name] = n > 0 ? Math.min(num(cur) || n, n) : cur;
        else out[name] = Math.max(num(cur), n);
      } else if (cur === undefined) {
        out[name] = v;
      }
    }
  }
  out.pk = key.pk;
  out.sk = key.sk;
  return out;
}
