import { type Item, num, UpdateBuilder } from './counter-layout';

/**
 * The distributed-surge detector, fleet-wide.
 *
 * A surge is judged on the whole API's traffic, never on one container's: a container sees a random fraction of the
 * traffic and starts empty, so a per-container baseline declares a "surge" every time Lambda scales out or recycles.
 * Every container adds its request counts (and how many of them came from clients new to the fleet) per 10-s slot
 * to one shared item, with one `ADD n` per container every {@link TRAFFIC_SYNC_SECONDS}, and reads the item back in
 * the same call. It then judges the fleet's recent rate against the fleet's own baseline. With no fleet history
 * (a fresh deployment, in front of traffic that may well be steady) nothing is ever declared.
 *
 * Hot key: the item takes one write per container per interval (200 containers: 40 writes/s, far below the
 * ~1,000 writes/s a partition accepts); past ~5,000 concurrent containers it would need sharding.
 */
export const TRAFFIC_SYNC_SECONDS = 5;
export const SUSPECT_SYNC_SECONDS = 1;
/** Slot length of the shared traffic counts. */
export const SLOT_SECONDS = 10;
/** Fleet history (seconds) needed before a baseline exists; the baseline covers up to the last 10 minutes. */
export const WARM_UP_SECONDS = 150;
const BASELINE_SLOTS = 60;
/** The recent rate covers the current slot and the one before it (10–20 s: a surge is judged within seconds). */
const RECENT_SLOTS = 1;
/** A slot between the recent window and the baseline, so the start of a surge never raises its own baseline. */
const SETTLE_SLOTS = 1;
/** A client is new during its first minute in the fleet (its counter item's `firstSeen`). */
export const NEW_CLIENT_SECONDS = 60;

const perMinute = (n: number, slotCount: number): number =>
  (n / Math.max(1, slotCount)) * (60 / SLOT_SECONDS);
const slotOf = (seconds: number): number => Math.floor(seconds / SLOT_SECONDS);
const requestsAttr = (slot: number): string => `q${slot}`;
const newClientsAttr = (slot: number): string => `n${slot}`;

export interface SurgeState {
  readonly underAttack: boolean;
  /** Clients whose first sighting in the fleet is at or after this time are part of the surge. */
  readonly surgeStart: number | undefined;
}

/** One container's share of the fleet-wide traffic counts, and its reading of the shared item. */
export class FleetTraffic {
  private pending = new Map<number, { requests: number; fresh: number }>();
  private shared: Item | undefined;
  private lastSyncAt = Number.NEGATIVE_INFINITY;
  private engagedAt: number | undefined;
  private calmSince: number | undefined;
  private start: number | undefined;
  private syncing = false;
  /** Bumped on every absorbed read: the baseline (all past slots) is summed once per slot and read. */
  private version = 0;
  private baseline: { key: string; rate: number; slots: number } | undefined;

  constructor(
    private readonly factor: () => number,
    private readonly minPerMinute: () => number,
  ) {}

  /** Counts a request; `fresh` when its client is new to the fleet. */
  record(now: number, fresh: boolean): void {
    const slot = slotOf(now);
    let p = this.pending.get(slot);
    if (!p) {
      p = { requests: 0, fresh: 0 };
      this.pending.set(slot, p);
    }
    p.requests += 1;
    if (fresh) p.fresh += 1;
  }

  /**
   * True when this container's counts are due to be written (and the shared item re-read): every
   * TRAFFIC_SYNC_SECONDS, or every SUSPECT_SYNC_SECONDS while most of this container's recent requests come from new
   * clients (what a surge looks like from one container: the fleet then learns of it within seconds).
   */
  due(now: number): boolean {
    if (this.syncing) return false;
    const since = now - this.lastSyncAt;
    if (since >= TRAFFIC_SYNC_SECONDS || now < this.lastSyncAt) return true;
    if (since < SUSPECT_SYNC_SECONDS) return false;
    const mine = this.pending.get(slotOf(now));
    return mine !== undefined && mine.requests >= 5 && mine.fresh * 2 >= mine.requests;
  }

  /** Takes the pending counts as one update of the shared item (removing slots no reader needs). */
  takeUpdate(pk: string, sk: string, now: number): UpdateBuilder {
    const b = new UpdateBuilder(pk, sk);
    for (const [slot, p] of this.pending) {
      b.add(requestsAttr(slot), p.requests);
      if (p.fresh > 0) b.add(newClientsAttr(slot), p.fresh);
    }
    b.setIfNotExists('firstSeen', Math.floor(now));
    const oldest = slotOf(now) - BASELINE_SLOTS - RECENT_SLOTS - SETTLE_SLOTS - 2;
    const stale: string[] = [];
    for (const name of Object.keys(this.shared ?? {})) {
      const m = /^[qn](\d+)$/.exec(name);
      if (m && Number(m[1]) < oldest) stale.push(name);
    }
    b.remove(stale);
    this.pending = new Map();
    this.syncing = true;
    return b;
  }

  /** The shared item after this container's write (or undefined when the write failed: counts are put back). */
  absorb(item: Item | undefined, now: number, failed?: UpdateBuilder): void {
    this.syncing = false;
    if (failed) {
      // Keep the counts for the next attempt; a failure never declares or ends a surge by itself.
      for (const [attr, n] of Object.entries(failed.build(0).add)) {
        const slot = Number(attr.slice(1));
        const p = this.pending.get(slot) ?? { requests: 0, fresh: 0 };
        if (attr.startsWith('q')) p.requests += n;
        else p.fresh += n;
        this.pending.set(slot, p);
      }
      return;
    }
    this.shared = item;
    this.version += 1;
    this.lastSyncAt = now;
    this.start = num(item?.firstSeen) || this.start;
  }

  /** Requests and new-client requests in slots [from, to], shared counts plus this container's unwritten ones. */
  private sum(from: number, to: number): { requests: number; fresh: number } {
    let requests = 0;
    let fresh = 0;
    for (let s = from; s <= to; s += 1) {
      requests += num(this.shared?.[requestsAttr(s)]) + (this.pending.get(s)?.requests ?? 0);
      fresh += num(this.shared?.[newClientsAttr(s)]) + (this.pending.get(s)?.fresh ?? 0);
    }
    return { requests, fresh };
  }

  /** The baseline rate per minute over the slots up to `end`, as far back as the fleet's history reaches. */
  private baselineAt(cur: number, end: number, history: number): { rate: number; slots: number } {
    const key = `${cur}|${this.version}`;
    if (this.baseline?.key === key) return this.baseline;
    const slots = Math.min(BASELINE_SLOTS, Math.floor((history - (cur - end) * SLOT_SECONDS) / SLOT_SECONDS));
    const requests = slots > 0 ? this.sum(end - slots + 1, end).requests : 0;
    this.baseline = { key, rate: perMinute(requests, slots), slots: Math.max(0, slots) };
    return this.baseline;
  }

  /** Judges the fleet's traffic at `now` and updates the engaged state (one calm minute disengages). */
  evaluate(now: number): SurgeState {
    const cur = slotOf(now);
    // The recent rate: the last RECENT_SLOTS whole slots and the current one, over the time they span. Other
    // containers' latest seconds are not in yet, so it can only underestimate: a late engagement, never a false one.
    const recentStart = cur - RECENT_SLOTS;
    const recent = this.sum(recentStart, cur);
    const span = Math.max(SLOT_SECONDS, now - recentStart * SLOT_SECONDS);
    const history = this.start === undefined ? 0 : now - this.start;
    let surging = false;
    if (history >= WARM_UP_SECONDS) {
      const base = this.baselineAt(cur, recentStart - SETTLE_SLOTS, history);
      const recentRate = (recent.requests / span) * 60;
      const threshold = Math.max(this.factor() * base.rate, this.minPerMinute());
      const freshShare = recent.requests > 0 ? recent.fresh / recent.requests : 0;
      surging = base.slots > 0 && recentRate >= threshold && freshShare >= 0.5;
    }
    if (surging) {
      this.calmSince = undefined;
      // Clients that first appeared in the minute before engagement are part of the surge.
      this.engagedAt ??= now;
    } else if (this.engagedAt !== undefined) {
      this.calmSince ??= now;
      if (now - this.calmSince >= 60) {
        this.engagedAt = undefined;
        this.calmSince = undefined;
      }
    }
    return {
      underAttack: this.engagedAt !== undefined,
      surgeStart: this.engagedAt === undefined ? undefined : this.engagedAt - 60,
    };
  }
}
