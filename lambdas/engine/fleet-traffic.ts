import { type Item, num, UpdateBuilder } from './counter-layout';

/**
 * The distributed-surge detector, fleet-wide.
 *
 * A surge is judged on the whole API's traffic, never on one container's: a container sees a random fraction of the
 * traffic and starts empty, so a per-container baseline declares a "surge" every time Lambda scales out or recycles.
 * Every container adds its request counts (and how many of them came from clients new to the fleet) per 10-s slot
 * (the baseline) and per 1-s tick (the recent rate; only the last few seconds' ticks are kept) to one shared item, with one `ADD n` per container every {@link TRAFFIC_SYNC_SECONDS}, and reads the item back in
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
/**
 * The recent rate is the rate over the trailing RECENT_SECONDS, from 1-s ticks (the oldest tick weighted by the
 * part of it inside the window). Judged on 10-s slots instead, the calm before a surge filled most of the window
 * and a surge ran for up to 8 s before its rate showed.
 */
export const RECENT_SECONDS = 5;
export const TICK_SECONDS = 1;
/** Ticks kept in the shared item: the recent window and a few seconds for containers that write late. */
const KEEP_TICKS = Math.ceil(RECENT_SECONDS / TICK_SECONDS) + 5;
/** Slots the recent window can reach into: the current one and the one before it. */
const RECENT_SLOTS = 1;
/** A slot between the recent window and the baseline, so the start of a surge never raises its own baseline. */
const SETTLE_SLOTS = 1;
/** A client is new during its first minute in the fleet (its counter item's `firstSeen`). */
export const NEW_CLIENT_SECONDS = 60;

const perMinute = (n: number, slotCount: number): number =>
  (n / Math.max(1, slotCount)) * (60 / SLOT_SECONDS);
const slotOf = (seconds: number): number => Math.floor(seconds / SLOT_SECONDS);
const tickOf = (seconds: number): number => Math.floor(seconds / TICK_SECONDS);
const requestsAttr = (slot: number): string => `q${slot}`;
const newClientsAttr = (slot: number): string => `n${slot}`;
const tickRequestsAttr = (tick: number): string => `Q${tick}`;
const tickNewClientsAttr = (tick: number): string => `N${tick}`;

interface Counts {
  requests: number;
  fresh: number;
}

function bump(map: Map<number, Counts>, key: number, requests: number, fresh: number): void {
  const c = map.get(key);
  if (c) {
    c.requests += requests;
    c.fresh += fresh;
  } else map.set(key, { requests, fresh });
}

export interface SurgeState {
  readonly underAttack: boolean;
  /** Clients whose first sighting in the fleet is at or after this time are part of the surge. */
  readonly surgeStart: number | undefined;
}

/** One container's share of the fleet-wide traffic counts, and its reading of the shared item. */
export class FleetTraffic {
  private pending = new Map<number, Counts>();
  private pendingTicks = new Map<number, Counts>();
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
    bump(this.pending, slotOf(now), 1, fresh ? 1 : 0);
    bump(this.pendingTicks, tickOf(now), 1, fresh ? 1 : 0);
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
    for (const [tick, p] of this.pendingTicks) {
      b.add(tickRequestsAttr(tick), p.requests);
      if (p.fresh > 0) b.add(tickNewClientsAttr(tick), p.fresh);
    }
    b.setIfNotExists('firstSeen', Math.floor(now));
    const oldest = slotOf(now) - BASELINE_SLOTS - RECENT_SLOTS - SETTLE_SLOTS - 2;
    const oldestTick = tickOf(now) - KEEP_TICKS;
    const stale: string[] = [];
    for (const name of Object.keys(this.shared ?? {})) {
      const m = /^([qnQN])(\d+)$/.exec(name);
      if (!m) continue;
      const tick = m[1] === 'Q' || m[1] === 'N';
      if (Number(m[2]) < (tick ? oldestTick : oldest)) stale.push(name);
    }
    b.remove(stale);
    this.pending = new Map();
    this.pendingTicks = new Map();
    this.syncing = true;
    return b;
  }

  /** The shared item after this container's write (or undefined when the write failed: counts are put back). */
  absorb(item: Item | undefined, now: number, failed?: UpdateBuilder): void {
    this.syncing = false;
    if (failed) {
      // Keep the counts for the next attempt; a failure never declares or ends a surge by itself.
      for (const [attr, n] of Object.entries(failed.build(0).add)) {
        const kind = attr[0];
        const map = kind === 'Q' || kind === 'N' ? this.pendingTicks : this.pending;
        if (kind === 'q' || kind === 'Q') bump(map, Number(attr.slice(1)), n, 0);
        else bump(map, Number(attr.slice(1)), 0, n);
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

  /** Requests and new-client requests in the trailing RECENT_SECONDS before `now`, shared and unwritten. */
  private trailing(now: number): Counts {
    const from = now - RECENT_SECONDS;
    const cur = tickOf(now);
    const out = { requests: 0, fresh: 0 };
    for (let t = tickOf(from); t <= cur; t += 1) {
      // The current tick's counts all fall in the window; an older tick's in proportion to its overlap with it.
      const w =
        t === cur ? 1 : Math.max(0, (t + 1) * TICK_SECONDS - Math.max(t * TICK_SECONDS, from)) / TICK_SECONDS;
      if (w <= 0) continue;
      const p = this.pendingTicks.get(t);
      out.requests += w * (num(this.shared?.[tickRequestsAttr(t)]) + (p?.requests ?? 0));
      out.fresh += w * (num(this.shared?.[tickNewClientsAttr(t)]) + (p?.fresh ?? 0));
    }
    return out;
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
    const recentStart = cur - RECENT_SLOTS;
    const history = this.start === undefined ? 0 : now - this.start;
    let surging = false;
    if (history >= WARM_UP_SECONDS) {
      const base = this.baselineAt(cur, recentStart - SETTLE_SLOTS, history);
      // Other containers' latest counts are not in yet, so the recent rate can only underestimate: a late
      // engagement, never a false one.
      const recent = this.trailing(now);
      const recentRate = (recent.requests / RECENT_SECONDS) * 60;
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
