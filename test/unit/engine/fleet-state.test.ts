import { describe, expect, it } from 'vitest';
import { bucketAttr, num, UpdateBuilder } from '../../../lambdas/engine/counter-layout';
import { FleetState, isBusy } from '../../../lambdas/engine/fleet-state';
import { MemoryCounterStore } from '../../../lib/local/memory-counter-store';

const T0 = 1_800_000_000;
const KEY = { pk: 'sub#alice', sk: 'c' };

/** A store that counts writes (UpdateItem calls) to the client's item (not the shared traffic item). */
class CountingStore extends MemoryCounterStore {
  writes = 0;
  override async exchange(...args: Parameters<MemoryCounterStore['exchange']>) {
    if (args[0]?.pk === KEY.pk) this.writes += 1;
    return super.exchange(...args);
  }
}

function container(store: CountingStore): FleetState {
  return new FleetState({
    store,
    longWindowSeconds: 600,
    ttlSeconds: 86_400,
    storeTimeoutMs: 1000,
    surgeFactor: () => 5,
    surgeMinPerMinute: () => 300,
  });
}

const request = (now: number) =>
  new UpdateBuilder(KEY.pk, KEY.sk).add(bucketAttr('r', Math.floor(now / 60)), 1);
const settle = () => new Promise((resolve) => setImmediate(resolve));
const stored = (store: MemoryCounterStore) => store.items.get(`${KEY.pk}|${KEY.sk}`);
/** Requests counted on an item, over every minute bucket. */
const requestsIn = (item: Record<string, unknown> | undefined) =>
  Object.entries(item ?? {})
    .filter(([k]) => /^r\d+$/.test(k))
    .reduce((sum, [, v]) => sum + Number(v), 0);

describe('FleetState: first sightings read, counts wait for the next sync', () => {
  it('writes a client new to the fleet at once (its firstSeen), then reads only on other containers', async () => {
    // Prepare
    const store = new CountingStore();
    const [a, b] = [container(store), container(store)];

    // Act: the client's first request anywhere, then its first on another container 20 s later.
    await a.count(request(T0), [], T0);
    await settle();
    const writesAfterFirst = store.writes;
    const seen = await b.count(request(T0 + 20), [], T0 + 20);

    // Assess: one write (firstSeen recorded), none for the first sighting on b, whose view has its own count.
    expect(writesAfterFirst).toBe(1);
    expect(num(stored(store)?.firstSeen)).toBe(T0);
    expect(store.writes).toBe(1);
    expect(num(seen.item?.[bucketAttr('r', Math.floor(T0 / 60))])).toBe(2);
  });

  it("writes a read-only sighting's count with the client's next sync on that container", async () => {
    const store = new CountingStore();
    const [a, b] = [container(store), container(store)];
    await a.count(request(T0), [], T0);
    await settle();
    await b.count(request(T0 + 20), [], T0 + 20);

    // Act: b sees the client again past the sync interval.
    await b.count(request(T0 + 35), [], T0 + 35);

    // Assess: the item has all three requests.
    expect(store.writes).toBe(2);
    expect(requestsIn(stored(store))).toBe(3);
  });

  it('writes at once, off the request path, when the read shows a busy client', async () => {
    const store = new CountingStore();
    const a = container(store);
    // 30 requests in the last half minute are already in the item.
    for (let i = 0; i < 30; i += 1) await a.count(request(T0 + i), [], T0 + i);
    await a.flush();
    const before = store.writes;

    const seen = await container(store).count(request(T0 + 31), [], T0 + 31);
    await settle();

    expect(store.writes).toBe(before + 1);
    // The request is judged on the fleet's 30 counts plus its own, not on an empty view (the write drops the cache).
    expect(requestsIn(seen.item)).toBe(31);
  });

  it('re-reads after a body-carrying request without writing, and the next request sees what a backend added', async () => {
    const store = new CountingStore();
    const a = container(store);
    await a.count(request(T0), [], T0);
    await settle();
    a.rereadNext(KEY.pk);
    const writes = store.writes;
    // A backend reports a body probe on the item after the authorizer answered.
    await store.applyUpdates([
      new UpdateBuilder(KEY.pk, KEY.sk).add(bucketAttr('b', Math.floor(T0 / 60)), 1).build(T0 + 86_400),
    ]);

    // A person's pace, inside the sync interval: nothing else would make this request read or write.
    const next = await a.count(request(T0 + 8), [], T0 + 8);

    expect(num(next.item?.[bucketAttr('b', Math.floor(T0 / 60))])).toBe(1);
    expect(store.writes).toBe(writes);
  });
});

describe('isBusy', () => {
  const item = (requests: number, firstSeen: number) => ({
    pk: KEY.pk,
    sk: KEY.sk,
    firstSeen,
    [bucketAttr('r', Math.floor(T0 / 60))]: requests,
  });

  it('Compliance: a new client at a person’s pace (a request every few seconds) is not busy', () => {
    expect(isBusy(item(2, T0), 1, T0, T0 + 10)).toBe(false);
    expect(isBusy(item(1, T0), 0, T0, T0 + 1)).toBe(false);
  });

  it('Noncompliance: a new client at machine pace, or 20 requests in the last minute, is busy', () => {
    expect(isBusy(item(9, T0), 1, T0, T0 + 1)).toBe(true);
    expect(isBusy(item(20, T0 - 600), 0, T0 - 600, T0 + 30)).toBe(true);
  });
});
