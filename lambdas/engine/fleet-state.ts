import { counterKey } from '../store/table-schema';
import {
  type CounterUpdate,
  type Item,
  num,
  staleAttributes,
  UpdateBuilder,
  windowCounts,
} from './counter-layout';
import { FleetTraffic, type SurgeState } from './fleet-traffic';
import { Lru } from './lru';
import type { CounterStore } from './ports';

/**
 * The fleet-wide state behind one small interface: everything a decision reads that other containers also write.
 *
 * A container coalesces a client's counts between syncs and writes them with one `ADD n`; each sync also reads back
 * the client's item (all containers' synced counts) and the IP, prefix and token items, in one round trip. What
 * decides how fresh that picture is:
 * - the first time a container sees a client it only reads (the client's item with the others): on K containers
 *   most of a quiet client's requests are first sightings, and writing each would cost a write unit per request.
 *   The count waits for the client's next sync here. It is written at once, off the request's path, when the fleet
 *   must know now: a client with no item yet (its `firstSeen` is what tells a surge's newcomers from known clients)
 *   or a busy one;
 * - a quiet client syncs every {@link SYNC_SECONDS} of request time or {@link MAX_PENDING} requests;
 * - a **hot** client (one whose last decision had any signal contributing, i.e. at least half a threshold) syncs
 *   every {@link HOT_SYNC_SECONDS}: spread over K containers its counts would otherwise reach each of them up to
 *   SYNC_SECONDS late. Bounded per container (hot-key safe: K containers write a flooding key at most
 *   K / HOT_SYNC_SECONDS times a second, until the block stops the writes);
 * - a caller may force a sync (a journey prerequisite that another container must see at once);
 * - a client whose last request here may have carried a body re-reads its item on its next request here: a backend
 *   may have reported a probe in that body (the body middleware), and that report must be seen before the client's
 *   next request is allowed. At most one extra round trip per body-carrying request.
 * Fleet-wide traffic counts (the surge baseline) ride along every {@link TRAFFIC_SYNC_SECONDS}.
 */
export const SYNC_SECONDS = 10;
export const MAX_PENDING = 20;
export const HOT_SYNC_SECONDS = 0.25;
/**
 * A busy client (at least BUSY_PER_MINUTE requests in the last minute, fleet-wide: three times a busy person's pace)
 * syncs every BUSY_SYNC_SECONDS, so containers that see a fraction of it learn the rest before it can matter.
 */
export const BUSY_PER_MINUTE = 20;
export const BUSY_SYNC_SECONDS = 2;
/** How long a client stays hot after its last contributing decision. */
const HOT_SECONDS = 120;
const MAX_SYNC_KEYS = 50_000;
const TRAFFIC_KEY = counterKey('global', 'traffic');

/** A client's picture of the fleet after a count: its item with this container's pending counts applied. */
export interface ClientSnapshot {
  readonly item: Item | undefined;
  /** The other items of the round trip (IP, prefix, token), by pk. */
  readonly reads: ReadonlyMap<string, Item>;
}

interface SyncState {
  pending: UpdateBuilder;
  pendingCount: number;
  firstPendingAt: number;
  lastSyncAt: number;
  hotUntil: number;
  /** The next request re-reads the item (a backend may have written to it since). */
  rereadNext: boolean;
  busy: boolean;
  item: Item | undefined;
  /** `item` with `pending` applied (what decisions between syncs read); undefined until first needed. */
  view: Record<string, unknown> | undefined;
  reads: ReadonlyMap<string, Item>;
  readKeys: string;
}

/**
 * Busy: BUSY_PER_MINUTE requests in the last minute fleet-wide, or, for a client new to the fleet (first seen under
 * a minute ago), a pace since its first request that would reach BUSY_PER_MINUTE within the minute: a bot is
 * fastest to catch while new, and a machine-speed client is seen whole within seconds, while a person's first
 * requests, seconds apart, cost no extra writes. `pending` are this container's requests not in `item` yet.
 */
export function isBusy(
  item: Item | undefined,
  pending: number,
  firstPendingAt: number,
  now: number,
): boolean {
  const requests = windowCounts(item, now, 60, 60).short.r + pending;
  if (requests >= BUSY_PER_MINUTE) return true;
  const firstSeen = Math.min(num(item?.firstSeen) || firstPendingAt, firstPendingAt);
  const age = now - firstSeen;
  if (age >= 60 || requests < 2) return false;
  // Intervals between requests (the first starts the clock), over at least BUSY_SYNC_SECONDS.
  return ((requests - 1) / Math.max(age, BUSY_SYNC_SECONDS)) * 60 >= BUSY_PER_MINUTE;
}

export interface FleetStateOptions {
  readonly store: CounterStore;
  readonly longWindowSeconds: number;
  /** TTL of counter items after their last write. */
  readonly ttlSeconds: number;
  readonly storeTimeoutMs: number;
  readonly surgeFactor: () => number;
  readonly surgeMinPerMinute: () => number;
}

export class FleetState {
  private readonly store: CounterStore;
  private readonly syncs = new Lru<SyncState>(MAX_SYNC_KEYS);
  /** Stale attribute names seen in the last response per item, removed by the next write. */
  private readonly staleByKey = new Map<string, string[]>();
  private readonly traffic: FleetTraffic;
  /** Writes started off a request's path, not yet finished (see {@link settled}). */
  private readonly background = new Set<Promise<unknown>>();

  constructor(private readonly options: FleetStateOptions) {
    this.store = options.store;
    this.traffic = new FleetTraffic(options.surgeFactor, options.surgeMinPerMinute);
  }

  private ttl(now: number): number {
    return Math.ceil(now) + Math.max(this.options.longWindowSeconds, this.options.ttlSeconds);
  }

  private state(pk: string, sk: string, now: number): SyncState {
    let st = this.syncs.get(pk);
    if (st) return st;
    st = {
      pending: new UpdateBuilder(pk, sk),
      pendingCount: 0,
      firstPendingAt: now,
      lastSyncAt: Number.NEGATIVE_INFINITY,
      hotUntil: Number.NEGATIVE_INFINITY,
      rereadNext: false,
      busy: false,
      item: undefined,
      view: undefined,
      reads: new Map(),
      readKeys: '',
    };
    this.syncs.set(pk, st);
    return st;
  }

  private mustSync(st: SyncState, now: number, readKeys: string, force: boolean): boolean {
    const since = now - st.lastSyncAt;
    return (
      force ||
      since >= SYNC_SECONDS ||
      now < st.lastSyncAt ||
      st.readKeys !== readKeys ||
      st.pendingCount >= MAX_PENDING ||
      (now < st.hotUntil && since >= HOT_SYNC_SECONDS) ||
      (since >= BUSY_SYNC_SECONDS && (st.busy || isBusy(st.item, st.pendingCount, st.firstPendingAt, now)))
    );
  }

  /**
   * Counts one request of a client (`update`, on the client's item) and returns the client's picture: synced now
   * when due, else the last snapshot plus this container's pending counts. Rejects when the store fails; the
   * counts are then kept for the next sync.
   */
  async count(
    update: UpdateBuilder,
    reads: readonly { pk: string; sk: string }[],
    now: number,
    { force = false }: { force?: boolean } = {},
  ): Promise<ClientSnapshot> {
    const firstSighting = !this.syncs.peek(update.pk);
    const st = this.state(update.pk, update.sk, now);
    st.pending.mergeFrom(update, { newer: true });
    st.pendingCount += 1;
    const readKeys = reads.map((r) => r.pk).join('|');
    if (firstSighting && !force) return this.readOnly(st, reads, readKeys, now);
    const due = this.mustSync(st, now, readKeys, force);
    // After a body-carrying request a backend may have reported a probe on the item: read it, write nothing yet.
    if (!due && st.rereadNext) return this.readOnly(st, reads, readKeys, now, { reread: true });
    if (!due) {
      // The snapshot with every pending count applied: built once after a sync, then kept up to date in place.
      if (st.view) update.applyTo(st.view);
      else st.view = st.pending.overlay(st.item);
      await this.syncTrafficIfDue(now);
      return { item: st.view, reads: st.reads };
    }
    const [out] = await Promise.all([this.sync(st, reads, now), this.syncTrafficIfDue(now)]);
    st.reads = out.read;
    st.readKeys = readKeys;
    return { item: out.updated, reads: out.read };
  }

  /**
   * A client this container has not seen (or must re-read, `reread`): one read of its item with the others, no
   * write. The count stays pending; it is written now, off the request's path, when the fleet must know of the
   * client at once (no item yet: its `firstSeen`; busy: its pace), else at the client's next due sync here (a
   * re-read does not postpone it).
   */
  private async readOnly(
    st: SyncState,
    reads: readonly { pk: string; sk: string }[],
    readKeys: string,
    now: number,
    { reread = false }: { reread?: boolean } = {},
  ): Promise<ClientSnapshot> {
    st.rereadNext = false;
    const pk = st.pending.pk;
    const [out] = await Promise.all([
      this.exchange(undefined, [{ pk, sk: st.pending.sk }, ...reads]),
      this.syncTrafficIfDue(now),
    ]);
    const item = out.read.get(pk);
    const others = new Map(out.read);
    others.delete(pk);
    this.noteStale(pk, item, now);
    st.item = item;
    st.reads = others;
    st.readKeys = readKeys;
    if (!reread) st.lastSyncAt = now;
    st.busy = isBusy(item, st.pendingCount, st.firstPendingAt, now);
    const view = st.pending.overlay(item);
    st.view = view;
    // The write takes the pending counts out (and drops st.view): this request is judged on the view built above.
    if (num(item?.firstSeen) === 0 || st.busy) this.inBackground(this.sync(st, [], now));
    return { item: view, reads: others };
  }

  /** Writes the client's pending counts (one `ADD n`) and reads `reads` with them; puts them back on failure. */
  private async sync(
    st: SyncState,
    reads: readonly { pk: string; sk: string }[],
    now: number,
  ): Promise<{ updated: Item | undefined; read: ReadonlyMap<string, Item> }> {
    const { pk, sk } = st.pending;
    // Take the pending counts out before awaiting, so concurrent requests never write them twice.
    const batch = st.pending;
    st.pending = new UpdateBuilder(pk, sk);
    st.pendingCount = 0;
    st.view = undefined;
    st.rereadNext = false;
    batch.setIfNotExists('firstSeen', Math.floor(st.firstPendingAt)).remove(this.staleByKey.get(pk) ?? []);
    const firstPendingAt = st.firstPendingAt;
    st.firstPendingAt = now;
    try {
      const out = await this.exchange(batch.build(this.ttl(now)), reads);
      this.noteStale(pk, out.updated, now);
      st.item = out.updated;
      st.busy = isBusy(out.updated, st.pendingCount, st.firstPendingAt, now);
      // A view built by a concurrent decision during the round trip predates this item.
      st.view = undefined;
      st.lastSyncAt = now;
      return out;
    } catch (error) {
      st.pending.mergeFrom(batch);
      st.firstPendingAt = Math.min(st.firstPendingAt, firstPendingAt);
      st.view = undefined;
      throw error;
    }
  }

  /**
   * Adds a request's counts to the client's pending ones without any I/O (a client this container holds blocked):
   * the first sync after the block writes them, so the fleet judges what the client did meanwhile.
   */
  defer(update: UpdateBuilder, now: number): void {
    const st = this.state(update.pk, update.sk, now);
    st.pending.mergeFrom(update, { newer: true });
    st.pendingCount += 1;
    if (st.view) update.applyTo(st.view);
  }

  /** Writes one update at once and reads `reads` with it (failed authentications: never coalesced). */
  async countNow(
    update: UpdateBuilder,
    reads: readonly { pk: string; sk: string }[],
    now: number,
  ): Promise<ClientSnapshot> {
    update.remove(this.staleByKey.get(update.pk) ?? []);
    const out = await this.exchange(update.build(this.ttl(now)), reads);
    this.noteStale(update.pk, out.updated, now);
    return { item: out.updated, reads: out.read };
  }

  /** Keeps a client syncing at the hot pace for a while: its last decision had a signal contributing. */
  markHot(pk: string, now: number): void {
    const st = this.syncs.peek(pk);
    if (st) st.hotUntil = now + HOT_SECONDS;
  }

  /**
   * The client's next request on this container re-reads its item: this one may carry a body that a backend will
   * judge and report on the item after the authorizer has answered.
   */
  rereadNext(pk: string): void {
    const st = this.syncs.peek(pk);
    if (st) st.rereadNext = true;
  }

  /** Counts a scored request in the fleet-wide traffic; `fresh` when its client is new to the fleet. */
  recordTraffic(now: number, fresh: boolean): void {
    this.traffic.record(now, fresh);
  }

  /** The fleet's surge state as this container reads it. */
  surge(now: number): SurgeState {
    return this.traffic.evaluate(now);
  }

  private async syncTrafficIfDue(now: number): Promise<void> {
    if (!this.traffic.due(now)) return;
    const update = this.traffic.takeUpdate(TRAFFIC_KEY.pk, TRAFFIC_KEY.sk, now);
    try {
      // Counts of the last 12 minutes only: the item keeps them a day after the last write.
      const out = await this.exchange(update.build(Math.ceil(now) + 86_400), []);
      this.traffic.absorb(out.updated, now);
    } catch {
      // The surge picture waits for the next interval; the request itself is not affected.
      this.traffic.absorb(undefined, now, update);
    }
  }

  /** Writes every pending count now (tests, and a container about to be retired). */
  /**
   * Resolves when every write this container started off a request's path has finished. In Lambda such a write
   * resumes when the container is next invoked, alongside that request (never waited for); the local fleet model and
   * replay settle it after each request, so a run's outcome never depends on I/O timing.
   */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Runs a write off the request's path; a failure leaves its counts pending for the client's next sync here. */
  private inBackground(write: Promise<unknown>): void {
    const tracked = write.then(
      () => undefined,
      () => undefined,
    );
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  async flush(): Promise<void> {
    const updates: CounterUpdate[] = [];
    for (const [pk, st] of this.syncs.entries()) {
      if (st.pendingCount === 0) continue;
      updates.push(
        st.pending
          .setIfNotExists('firstSeen', Math.floor(st.firstPendingAt))
          .build(this.ttl(st.firstPendingAt)),
      );
      st.pending = new UpdateBuilder(pk, st.pending.sk);
      st.pendingCount = 0;
      st.view = undefined;
    }
    await this.store.applyUpdates(updates);
  }

  /**
   * The counting write that revealed a block also reset the item's TTL to the counter horizon; restore it to the
   * block's end so the flag outlives TTL deletion. Rare: once per container per blocked client.
   */
  keepFlagAlive(item: Item | undefined): void {
    if (!item || typeof item.pk !== 'string' || typeof item.sk !== 'string') return;
    if (num(item.blockedUntil) <= num(item.expiresAt)) return;
    const fix = new UpdateBuilder(item.pk, item.sk).build(Math.ceil(num(item.blockedUntil)));
    // Best effort: the block record itself and the WAF updater still hold the block.
    this.inBackground(this.store.applyUpdates([fix]));
  }

  /** Remembers which attributes of an item the next write to it should remove (read once per sync). */
  private noteStale(pk: string, item: Item | undefined, now: number): void {
    const stale = staleAttributes(item, now, this.options.longWindowSeconds);
    if (stale.length > 0) this.staleByKey.set(pk, stale);
    else this.staleByKey.delete(pk);
    if (this.staleByKey.size > 10_000) this.staleByKey.clear();
  }

  /**
   * One round trip within the store budget. A timer cleared on completion, not `AbortSignal.timeout`: that one
   * fires (and builds an exception) for every call, even long after the call succeeded.
   */
  private async exchange(
    update: CounterUpdate | undefined,
    reads: readonly { pk: string; sk: string }[],
  ): ReturnType<CounterStore['exchange']> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('counter store budget exceeded', 'TimeoutError')),
      this.options.storeTimeoutMs,
    );
    try {
      return await this.store.exchange(update, reads, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }
}
