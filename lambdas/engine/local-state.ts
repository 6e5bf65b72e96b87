import { BUCKET_SECONDS, type BucketKind, emptyKinds, minuteOf, type WindowCounts } from './counter-layout';
import { Lru } from './lru';

/**
 * Per-container memory: counters for every scope and a block cache. It covers the seconds before shared counters
 * (and access-log feedback) catch up on items this container reads but does not write, and lets a flood that lands
 * on a warm container be stopped without a write. No verdict rests on it alone: see `view.ts`. Everything is bounded: least-recently-used keys are evicted past `maxKeys`.
 */
interface KeyState {
  /** minute -> counts by kind */
  buckets: Map<number, Record<BucketKind, number>>;
  /** distinct values (IPs, subjects, tokens) with their first-seen time and count, capped */
  distinct: Map<string, Map<string, { first: number; last: number; count: number }>>;
  marks: Map<string, number>;
}

const MAX_DISTINCT = 512;

function emptyCounts(): Record<BucketKind, number> {
  return { r: 0, a: 0, f: 0, h: 0, x: 0, i: 0, z: 0, b: 0 };
}

function addWeighted(
  into: Record<BucketKind, number>,
  counts: Readonly<Record<BucketKind, number>>,
  weight: number,
): void {
  if (weight === 0) return;
  into.r += counts.r * weight;
  into.a += counts.a * weight;
  into.f += counts.f * weight;
  into.h += counts.h * weight;
  into.x += counts.x * weight;
  into.i += counts.i * weight;
  into.z += counts.z * weight;
  into.b += counts.b * weight;
}

export class LocalCounters {
  private readonly keys: Lru<KeyState>;

  constructor(
    private readonly longWindowSeconds: number,
    maxKeys = 50_000,
  ) {
    this.keys = new Lru(maxKeys);
  }

  private state(key: string): KeyState {
    let s = this.keys.get(key);
    if (!s) {
      s = {
        buckets: new Map(),
        distinct: new Map(),
        marks: new Map(),
      };
      this.keys.set(key, s);
    }
    return s;
  }

  private prune(s: KeyState, now: number): void {
    const oldest = minuteOf(now) - Math.round(this.longWindowSeconds / BUCKET_SECONDS) - 2;
    for (const m of s.buckets.keys()) if (m < oldest) s.buckets.delete(m);
  }

  add(key: string, kind: BucketKind, now: number, n = 1): void {
    const s = this.state(key);
    const m = minuteOf(now);
    let b = s.buckets.get(m);
    if (!b) {
      b = emptyCounts();
      s.buckets.set(m, b);
      this.prune(s, now);
    }
    b[kind] += n;
  }

  /** Sliding-window count, same approximation as the shared counters. */
  count(key: string, kind: BucketKind, now: number, windowSeconds: number): number {
    const s = this.keys.peek(key);
    if (!s) return 0;
    const m = minuteOf(now);
    const full = Math.max(1, Math.round(windowSeconds / BUCKET_SECONDS));
    let total = 0;
    for (let k = 0; k < full; k += 1) total += s.buckets.get(m - k)?.[kind] ?? 0;
    const elapsed = (now - m * BUCKET_SECONDS) / BUCKET_SECONDS;
    total += (s.buckets.get(m - full)?.[kind] ?? 0) * (1 - elapsed);
    return total;
  }

  /** Counts of every kind for both windows in one pass (same approximation as {@link count}). */
  windowCounts(key: string, now: number, shortSeconds: number, longSeconds: number): WindowCounts {
    const short = emptyKinds();
    const long = emptyKinds();
    const s = this.keys.peek(key);
    if (!s) return { short, long };
    const m = minuteOf(now);
    const shortFull = Math.max(1, Math.round(shortSeconds / BUCKET_SECONDS));
    const longFull = Math.max(1, Math.round(longSeconds / BUCKET_SECONDS));
    const leaving = 1 - (now - m * BUCKET_SECONDS) / BUCKET_SECONDS;
    for (const [minute, counts] of s.buckets) {
      const ago = m - minute;
      if (ago < 0) continue;
      addWeighted(short, counts, ago < shortFull ? 1 : ago === shortFull ? leaving : 0);
      addWeighted(long, counts, ago < longFull ? 1 : ago === longFull ? leaving : 0);
    }
    return { short, long };
  }

  /** Notes a distinct value (IP, subject, token) seen with `key`. */
  see(key: string, set: string, value: string, now: number): void {
    const s = this.state(key);
    let d = s.distinct.get(set);
    if (!d) {
      d = new Map();
      s.distinct.set(set, d);
    }
    const e = d.get(value);
    if (e) {
      e.count += 1;
      e.last = now;
      return;
    }
    if (d.size >= MAX_DISTINCT) {
      // Drop the stalest entry so the set keeps describing the recent window.
      let stalest: string | undefined;
      let at = Number.POSITIVE_INFINITY;
      for (const [k, v] of d) if (v.last < at) [stalest, at] = [k, v.last];
      if (stalest !== undefined) d.delete(stalest);
    }
    d.set(value, { first: now, last: now, count: 1 });
  }

  /** Distinct values seen within the long window (optionally only those seen at least `minCount` times). */
  distinct(key: string, set: string, now: number, minCount = 1): number {
    const d = this.keys.peek(key)?.distinct.get(set);
    if (!d) return 0;
    let n = 0;
    for (const v of d.values()) if (v.last > now - this.longWindowSeconds && v.count >= minCount) n += 1;
    return n;
  }

  mark(key: string, name: string, now: number): void {
    this.state(key).marks.set(name, now);
  }

  markAt(key: string, name: string): number | undefined {
    return this.keys.peek(key)?.marks.get(name);
  }

  firstSeen(key: string): number | undefined {
    const s = this.keys.peek(key);
    if (!s || s.buckets.size === 0) return undefined;
    return Math.min(...s.buckets.keys()) * BUCKET_SECONDS;
  }
}

/** A cached block: enforced until `until`; re-checked against the store after `checkAfter`. */
export interface CachedBlock {
  readonly until: number;
  readonly checkAfter: number;
  readonly scope: string;
  readonly reason: string;
}

/**
 * Blocks known to this container. Entries are trusted for at most `maxAgeSeconds` so an operator's unblock takes
 * effect soon everywhere, while a flood from a blocked client costs no store calls meanwhile.
 */
export class BlockCache {
  private readonly entries = new Lru<CachedBlock>(100_000);
  constructor(private readonly maxAgeSeconds = 60) {}

  put(key: string, until: number, now: number, scope: string, reason: string): void {
    if (until <= now) return;
    this.entries.set(key, { until, checkAfter: Math.min(until, now + this.maxAgeSeconds), scope, reason });
  }

  get(key: string, now: number): CachedBlock | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (now >= e.checkAfter) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
