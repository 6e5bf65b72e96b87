import { BUCKET_SECONDS, type BucketKind, emptyKinds, minuteOf, type WindowCounts } from './counter-layout';
import { Lru } from './lru';

/**
 * Per-container memory: counters for every scope, a block cache and the surge tracker. It covers the seconds before
 * shared counters (and access-log feedback) catch up, and lets a flood that lands on a warm container be stopped
 * without a write. Everything is bounded: least-recently-used keys are evicted past `maxKeys`.
 */
interface KeyState {
  /** minute -> counts by kind */
  buckets: Map<number, Record<BucketKind, number>>;
  /** distinct values (IPs, subjects, tokens) with their first-seen time and count, capped */
  distinct: Map<string, Map<string, { first: number; last: number; count: number }>>;
  ids: Map<number, number>;
  lastAt: number | undefined;
  intervals: { n: number; mean: number; m2: number };
  marks: Map<string, number>;
}

const MAX_DISTINCT = 512;
const MAX_IDS = 512;

function emptyCounts(): Record<BucketKind, number> {
  return { r: 0, a: 0, f: 0, h: 0, x: 0, i: 0, z: 0 };
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
        ids: new Map(),
        lastAt: undefined,
        intervals: { n: 0, mean: 0, m2: 0 },
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

  /** Values seen exactly once, at least `ageSeconds` ago, within the long window: one-shot identities. */
  oneShot(key: string, set: string, now: number, ageSeconds: number): number {
    const d = this.keys.peek(key)?.distinct.get(set);
    if (!d) return 0;
    let n = 0;
    for (const v of d.values()) {
      if (v.count === 1 && v.first <= now - ageSeconds && v.first > now - this.longWindowSeconds) n += 1;
    }
    return n;
  }

  /** Records a numeric id and returns [distinct ids, density = distinct / (max − min + 1)] within the window. */
  addId(key: string, id: number, now: number): void {
    const s = this.state(key);
    s.ids.set(id, now);
    if (s.ids.size > MAX_IDS) {
      const oldest = s.ids.keys().next();
      if (!oldest.done) s.ids.delete(oldest.value);
    }
  }

  idStats(key: string, now: number): { distinct: number; density: number | undefined } {
    const ids = this.keys.peek(key)?.ids;
    if (!ids) return { distinct: 0, density: undefined };
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let n = 0;
    for (const [id, at] of ids) {
      if (at <= now - this.longWindowSeconds) continue;
      n += 1;
      if (id < min) min = id;
      if (id > max) max = id;
    }
    if (n < 2) return { distinct: n, density: undefined };
    return { distinct: n, density: n / (max - min + 1) };
  }

  /** Updates inter-arrival statistics (Welford); a pause longer than the long window starts afresh. */
  arrival(key: string, now: number): void {
    const s = this.state(key);
    if (s.lastAt !== undefined) {
      const gap = now - s.lastAt;
      if (gap > this.longWindowSeconds) {
        s.intervals = { n: 0, mean: 0, m2: 0 };
      } else {
        const iv = s.intervals;
        iv.n += 1;
        const delta = gap - iv.mean;
        iv.mean += delta / iv.n;
        iv.m2 += delta * (gap - iv.mean);
      }
    }
    s.lastAt = now;
  }

  cadence(key: string): { variation: number | undefined; samples: number } {
    const iv = this.keys.peek(key)?.intervals;
    if (!iv || iv.n < 2 || iv.mean <= 0) return { variation: undefined, samples: iv?.n ?? 0 };
    return { variation: Math.sqrt(iv.m2 / (iv.n - 1)) / iv.mean, samples: iv.n };
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

/** Seconds of traffic a container must have seen before it may declare a surge. */
export const WARM_UP_SECONDS = 150;

/**
 * Distributed-surge detector over this container's traffic (aggregated locally: no global hot key). It compares the
 * request rate of the last 10 seconds (per minute) with a moving baseline and watches the share of requests coming
 * from IPs it had never seen. Engages "under attack" when both are far above normal; disengages after a calm minute.
 */
export class SurgeTracker {
  private readonly slots = new Map<number, { requests: number; fresh: number }>();
  private readonly seen = new Lru<{ first: number; last: number }>(200_000);
  private startedAt: number | undefined;
  private engagedAt: number | undefined;
  private calmSince: number | undefined;
  /** Time the current surge started (clients first seen after it are unknown). */
  surgeStart: number | undefined;
  private history: { slot: number; requests: number; slots: number } | undefined;

  constructor(
    private readonly factor: () => number,
    private readonly minPerMinute: () => number,
  ) {}

  /** Records a request; returns true when this IP had not been seen in the last 30 minutes. */
  record(ip: string | undefined, now: number): boolean {
    this.startedAt ??= now;
    const slot = Math.floor(now / 10);
    let s = this.slots.get(slot);
    if (!s) {
      s = { requests: 0, fresh: 0 };
      this.slots.set(slot, s);
      for (const k of this.slots.keys()) if (k < slot - 180) this.slots.delete(k);
    }
    s.requests += 1;
    let fresh = false;
    if (ip) {
      const e = this.seen.get(ip);
      fresh = e === undefined || e.last < now - 1800;
      if (fresh || !e) this.seen.set(ip, { first: now, last: now });
      else e.last = now;
      if (fresh) s.fresh += 1;
    }
    this.update(now);
    return fresh;
  }

  private window(
    now: number,
    fromAgo: number,
    toAgo: number,
  ): { requests: number; fresh: number; slots: number } {
    const cur = Math.floor(now / 10);
    let requests = 0;
    let fresh = 0;
    let slots = 0;
    for (let k = cur - toAgo; k <= cur - fromAgo; k += 1) {
      const s = this.slots.get(k);
      slots += 1;
      if (s) {
        requests += s.requests;
        fresh += s.fresh;
      }
    }
    return { requests, fresh, slots };
  }

  private update(now: number): void {
    // Rate over the last 20 s, per minute; baseline over the 28 minutes before the last two.
    const recent = this.window(now, 0, 1);
    const ratePerMinute = recent.requests * 3;
    // The baseline's slots are all in the past: sum them once per 10-s slot, not on every request.
    const slot = Math.floor(now / 10);
    if (this.history?.slot !== slot) this.history = { slot, ...this.window(now, 12, 179) };
    const history = this.history;
    const age = now - (this.startedAt ?? now);
    const baselinePerMinute =
      age > 120 ? (history.requests / Math.max(1, Math.min(history.slots, age / 10))) * 6 : 0;
    const threshold = Math.max(this.factor() * baselinePerMinute, this.minPerMinute());
    const freshShare = recent.requests > 0 ? recent.fresh / recent.requests : 0;
    const surging = ratePerMinute >= threshold && freshShare >= 0.5;
    if (surging) {
      this.calmSince = undefined;
      if (this.engagedAt === undefined) {
        this.engagedAt = now;
        // Clients that first appeared in the minute before engagement are part of the surge.
        this.surgeStart = now - 60;
      }
    } else if (this.engagedAt !== undefined) {
      this.calmSince ??= now;
      if (now - this.calmSince >= 60) {
        this.engagedAt = undefined;
        this.surgeStart = undefined;
        this.calmSince = undefined;
      }
    }
  }

  get underAttack(): boolean {
    return this.engagedAt !== undefined;
  }

  /** When this container first saw the IP in its current stretch of activity (undefined: never). */
  firstSeen(ip: string): number | undefined {
    return this.seen.get(ip)?.first;
  }
}
