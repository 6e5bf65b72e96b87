import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import { UpdateBuilder } from '../../lambdas/engine/counter-layout';
import type { CounterStore } from '../../lambdas/engine/ports';
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
