import { DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import { UpdateBuilder } from '../../lambdas/engine/counter-layout';
import type { CounterStore } from '../../lambdas/engine/ports';
import type { RegionLayout } from '../../lambdas/store/regions';
import { counterKey } from '../../lambdas/store/table-schema';
import { MemoryCounterStore } from '../../lib/local/memory-counter-store';
import { createTestTable } from '../helpers/table';

/**
 * One contract, two stores: the scenario suite runs on the in-memory store for speed, so everything the engine
 * relies on is proven here to behave the same on DynamoDB Local (UpdateItem ADD/SET/if_not_exists/REMOVE, number
 * sets, ReturnValues ALL_NEW, parallel reads, block flags, offences).
 */
const stores: [string, () => Promise<CounterStore>][] = [
  ['memory', async () => new MemoryCounterStore()],
  [
    'DynamoDB Local',
    async () =>
      new DynamoCounterStore({
        tableName: await createTestTable('contract'),
        client: new DynamoDBClient({}),
      }),
  ],
];
const signal = () => new AbortController().signal;
const plain = (item: unknown) =>
  Object.fromEntries(
    Object.entries(item as Record<string, unknown>).map(([k, v]) => [
      k,
      v instanceof Set ? [...v].map(Number).sort((a, b) => a - b) : typeof v === 'bigint' ? Number(v) : v,
    ]),
  );

describe.each(stores)('counter store contract: %s', (_name, make) => {
  it('applies ADD, set additions, if_not_exists, SET and REMOVE atomically and returns the item after', async () => {
    // Prepare
    const store = await make();
    const key = counterKey('sub', 'contract-1');
    const first = new UpdateBuilder(key.pk, key.sk)
      .add('r100', 2)
      .addToSet('ids5', 3)
      .addToSet('ids5', 9)
      .setIfNotExists('firstSeen', 1000)
      .set('j_x', 7)
      .build(5000);
    // Act
    await store.exchange(first, [], signal());
    const second = new UpdateBuilder(key.pk, key.sk)
      .add('r100', 3)
      .addToSet('ids5', 9)
      .addToSet('ids5', 11)
      .setIfNotExists('firstSeen', 2000)
      .remove(['j_x'])
      .build(6000);
    const out = await store.exchange(second, [], signal());
    // Assess
    expect(plain(out.updated)).toMatchObject({ r100: 5, ids5: [3, 9, 11], firstSeen: 1000, expiresAt: 6000 });
    expect(out.updated).not.toHaveProperty('j_x');
  });

  it('reads other items in the same round trip and leaves missing ones out', async () => {
    const store = await make();
    const a = counterKey('ip', '192.0.2.1');
    const b = counterKey('prefix', '192.0.2.0/24');
    await store.applyUpdates([new UpdateBuilder(b.pk, b.sk).add('r7', 4).build(9999)]);
    const out = await store.exchange(
      new UpdateBuilder(a.pk, a.sk).add('r7', 1).build(9999),
      [b, counterKey('token', 'nope')],
      signal(),
    );
    expect(plain(out.read.get(b.pk))).toMatchObject({ r7: 4 });
    expect(out.read.has(counterKey('token', 'nope').pk)).toBe(false);
  });

  it('sums concurrent ADDs from many writers (containers) exactly', async () => {
    const store = await make();
    const key = counterKey('global', 'traffic');
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        store.exchange(new UpdateBuilder(key.pk, key.sk).add('q1', i + 1).build(9999), [], signal()),
      ),
    );
    const out = await store.exchange(
      new UpdateBuilder(key.pk, key.sk).add('q1', 0).build(9999),
      [],
      signal(),
    );
    expect(plain(out.updated).q1).toBe((24 * 25) / 2);
  });

  it('puts a block flag on the counter item and remembers offences', async () => {
    const store = await make();
    await store.putBlock({
      scope: 'subject',
      value: 'contract-2',
      createdAt: 100,
      expiresAt: 1000,
      score: 95,
      reason: 'test',
      offences: 1,
      simulated: false,
    });
    const key = counterKey('sub', 'contract-2');
    const out = await store.exchange(undefined, [key], signal());
    expect(plain(out.read.get(key.pk)).blockedUntil).toBe(1000);
    expect(await store.recordOffence('subject', 'contract-2', 100, 3600)).toBe(1);
    expect(await store.recordOffence('subject', 'contract-2', 200, 3600)).toBe(2);
  });
});

/**
 * One Region's replica of a global table: a store per Region layout on it, and raw access to its items so a test
 * can play the replication. DynamoDB Local has no global tables, so replication is modelled as the service
 * documents it for the default mode (MREC): each item is copied whole, and when two Regions wrote the same item the
 * last write wins for the whole item ("How DynamoDB global tables work", Amazon DynamoDB Developer Guide,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html).
 */
interface Replica {
  store(regions?: RegionLayout): CounterStore;
  items(): Promise<Record<string, unknown>[]>;
  put(item: Record<string, unknown>): Promise<void>;
}

const copyItem = (item: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v instanceof Set ? new Set(v) : v]));

const replicas: [string, () => Promise<Replica>][] = [
  [
    'memory',
    async () => {
      const items = new Map<string, Record<string, unknown>>();
      return {
        store: (regions) => new MemoryCounterStore({ items, ...(regions ? { regions } : {}) }),
        items: async () => [...items.values()].map(copyItem),
        put: async (item) => {
          items.set(`${item.pk}|${item.sk}`, copyItem(item));
        },
      };
    },
  ],
  [
    'DynamoDB Local',
    async () => {
      const tableName = await createTestTable('regions');
      const client = new DynamoDBClient({});
      return {
        store: (regions) => new DynamoCounterStore({ tableName, client, ...(regions ? { regions } : {}) }),
        items: async () =>
          ((await client.send(new ScanCommand({ TableName: tableName }))).Items ?? []).map(
            (i) => unmarshall(i) as Record<string, unknown>,
          ),
        put: async (item) => {
          await client.send(new PutItemCommand({ TableName: tableName, Item: marshall(item) }));
        },
      };
    },
  ],
];

const US: RegionLayout = { own: 'us-east-1', all: ['us-east-1', 'eu-west-1'] };
const EU: RegionLayout = { own: 'eu-west-1', all: ['us-east-1', 'eu-west-1'] };

/** Replication of everything `from` holds into `to`: whole items, `from`'s version winning (its write was later). */
async function replicate(from: Replica, to: Replica): Promise<void> {
  for (const item of await from.items()) await to.put(item);
}

describe.each(replicas)('counter store contract, several Regions: %s', (_name, make) => {
  it('keeps each Region on its own copy of a counter item and shows every reader the sum', async () => {
    // Prepare: one replica, replication already done (both Regions' writes are in it)
    const replica = await make();
    const us = replica.store(US);
    const eu = replica.store(EU);
    const key = counterKey('sub', 'regions-1');
    // Act
    await us.exchange(
      new UpdateBuilder(key.pk, key.sk)
        .add('r100', 3)
        .addToSet('ips5', 1)
        .addToSet('ips5', 2)
        .setIfNotExists('firstSeen', 1000)
        .build(9000),
      [],
      signal(),
    );
    await eu.exchange(
      new UpdateBuilder(key.pk, key.sk)
        .add('r100', 4)
        .addToSet('ips5', 5)
        .setIfNotExists('firstSeen', 900)
        .build(9500),
      [],
      signal(),
    );
    const seenInUs = await us.exchange(
      new UpdateBuilder(key.pk, key.sk).add('r100', 1).build(9000),
      [],
      signal(),
    );
    const seenInEu = await eu.exchange(undefined, [key], signal());
    // Assess: both readers see 3 + 4 + 1 requests, the union of the sketches and the earliest first sighting
    for (const item of [seenInUs.updated, seenInEu.read.get(key.pk)]) {
      expect(plain(item)).toMatchObject({ pk: key.pk, r100: 8, ips5: [1, 2, 5], firstSeen: 900 });
    }
    const pks = (await replica.items()).map((i) => i.pk).sort();
    expect(pks).toEqual([`${key.pk}@eu-west-1`, `${key.pk}@us-east-1`]);
  });

  it('merges the feedback path, the traffic item and the items read beside the count', async () => {
    const replica = await make();
    const us = replica.store(US);
    const eu = replica.store(EU);
    const ip = counterKey('ip', '198.51.100.7');
    const traffic = counterKey('global', 'traffic');
    await us.applyUpdates([new UpdateBuilder(ip.pk, ip.sk).add('x100', 2).build(9000)]);
    await eu.applyUpdates([new UpdateBuilder(ip.pk, ip.sk).add('x100', 5).build(9000)]);
    await us.exchange(new UpdateBuilder(traffic.pk, traffic.sk).add('q7', 10).build(9000), [], signal());
    const out = await eu.exchange(
      new UpdateBuilder(traffic.pk, traffic.sk).add('q7', 6).build(9000),
      [ip],
      signal(),
    );
    expect(plain(out.updated).q7).toBe(16);
    expect(plain(out.read.get(ip.pk)).x100).toBe(7);
    expect(out.read.has(counterKey('ip', 'never-seen').pk)).toBe(false);
  });

  it('carries a block flag written in one Region to readers in another, and an unblock anywhere clears it', async () => {
    const replica = await make();
    const us = replica.store(US);
    const eu = replica.store(EU);
    const key = counterKey('sub', 'regions-blocked');
    await eu.exchange(new UpdateBuilder(key.pk, key.sk).add('r100', 1).build(5000), [], signal());
    await us.putBlock({
      scope: 'subject',
      value: 'regions-blocked',
      createdAt: 100,
      expiresAt: 7000,
      score: 95,
      reason: 'test',
      offences: 1,
      simulated: false,
    });
    const seen = await eu.exchange(
      new UpdateBuilder(key.pk, key.sk).add('r100', 1).build(5000),
      [],
      signal(),
    );
    expect(plain(seen.updated)).toMatchObject({ blockedUntil: 7000, r100: 2 });
    await eu.deleteBlock('subject', 'regions-blocked', false);
    const after = await us.exchange(undefined, [key], signal());
    expect(plain(after.read.get(key.pk))).not.toHaveProperty('blockedUntil');
    expect(plain(after.read.get(key.pk)).r100).toBe(2);
  });

  it("loses no Region's increments when replication resolves concurrent writes last-writer-wins", async () => {
    // Prepare: two replicas of the table, one per Region, each counting the same client before replication
    const run = async (layouts: [RegionLayout | undefined, RegionLayout | undefined]) => {
      const [usReplica, euReplica] = [await make(), await make()];
      const [us, eu] = [usReplica.store(layouts[0]), euReplica.store(layouts[1])];
      const key = counterKey('sub', 'regions-lww');
      await us.exchange(new UpdateBuilder(key.pk, key.sk).add('r100', 30).build(9000), [], signal());
      await eu.exchange(new UpdateBuilder(key.pk, key.sk).add('r100', 12).build(9000), [], signal());
      // Act: US's write is the later one, so its version of every item it wrote wins everywhere
      await replicate(usReplica, euReplica);
      await replicate(euReplica, usReplica);
      const read = async (store: CounterStore) =>
        plain((await store.exchange(undefined, [key], signal())).read.get(key.pk)).r100;
      return [await read(us), await read(eu)];
    };
    // Assess: one shared item (the layout without Regions) loses Europe's 12; Region copies keep all 42
    expect(await run([undefined, undefined])).toEqual([30, 30]);
    expect(await run([US, EU])).toEqual([42, 42]);
  });
});
