import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import type { Decision } from '../../lambdas/authorizer/types';
import { RiskEngine } from '../../lambdas/engine/engine';
import { resolvePolicy } from '../../lambdas/policy/policy';
import type { RegionLayout } from '../../lambdas/store/regions';
import { MemoryCounterStore } from '../../lib/local/memory-counter-store';
import { authed, restRequest } from '../helpers/requests';
import { createTestTable } from '../helpers/table';

const ALL = ['us-east-1', 'eu-west-1'];

/**
 * A client served by two Regions of a global table (replication modelled as instant: both Regions' authorizers on
 * one DynamoDB Local table). Each Region counts into its own copy of the client's items and reads the other's.
 */
describe('RiskEngine on a two-Region table', () => {
  it('judges a flood split over two Regions on the sum of both, within the one-Region first-deny bound', async () => {
    // Prepare
    const tableName = await createTestTable('engine-regions');
    const client = new DynamoDBClient({});
    const engineIn = (own: string) =>
      new RiskEngine({
        policy: resolvePolicy({}),
        store: new DynamoCounterStore({
          tableName,
          client,
          regions: { own, all: ALL } satisfies RegionLayout,
        }),
      });
    const engines = [engineIn('us-east-1'), engineIn('eu-west-1')];
    const start = Date.now();
    const results: Decision[] = [];
    // Act: 600 requests in 60 s from one subject, alternating Regions (the bound of the one-Region test: < 150)
    for (let i = 0; i < 600; i += 1) {
      results.push(
        await engines[i % 2]!.decide(
          restRequest({ ip: '203.0.113.10', at: start + i * 100 }),
          authed('flooder'),
        ),
      );
    }
    // Assess
    const firstDeny = results.findIndex((r) => r.effect === 'deny');
    expect(firstDeny).toBeGreaterThan(0);
    expect(firstDeny).toBeLessThan(150);
    expect(results.slice(firstDeny + 2).every((r) => r.effect === 'deny')).toBe(true);
    const pks = ((await client.send(new ScanCommand({ TableName: tableName }))).Items ?? [])
      .map((i) => String(unmarshall(i).pk))
      .filter((pk) => pk.startsWith('sub#flooder'))
      .sort();
    // Each Region wrote its own copy; no shared counter item exists for replication to overwrite.
    expect(pks).toEqual(['sub#flooder@eu-west-1', 'sub#flooder@us-east-1']);
  });

  it('decides exactly as one Region with the same containers would, request for request', async () => {
    // Prepare: the same two containers, once in one Region (one shared item) and once one per Region
    const start = Math.floor(Date.now() / 600_000) * 600_000 + 7_000;
    const run = async (regional: boolean) => {
      const items = new Map<string, Record<string, unknown>>();
      const engines = ALL.map(
        (own) =>
          new RiskEngine({
            policy: resolvePolicy({}),
            store: new MemoryCounterStore({ items, ...(regional ? { regions: { own, all: ALL } } : {}) }),
          }),
      );
      const effects: string[] = [];
      // Act: a flood from one subject and a person on another IP, both alternating between the containers
      for (let i = 0; i < 400; i += 1) {
        const engine = engines[i % 2]!;
        effects.push(
          (await engine.decide(restRequest({ ip: '203.0.113.10', at: start + i * 100 }), authed('flooder')))
            .effect,
        );
        if (i % 40 === 0)
          effects.push(
            (await engine.decide(restRequest({ ip: '192.0.2.44', at: start + i * 100 }), authed('person')))
              .effect,
          );
      }
      return { effects, keys: [...items.keys()] };
    };
    const oneRegion = await run(false);
    const twoRegions = await run(true);
    // Assess
    expect(twoRegions.effects).toEqual(oneRegion.effects);
    expect(oneRegion.effects).toContain('deny');
    expect(twoRegions.keys.some((k) => k.startsWith('sub#flooder@eu-west-1|'))).toBe(true);
    expect(twoRegions.keys.some((k) => k.startsWith('sub#flooder|'))).toBe(false);
  });

  it('with a replication delay of 1 s, denies a flood split over two Regions at most 1 s later than instant replication', async () => {
    // Prepare: one replica per Region; every second of request time each replica's items are copied whole to the
    // other (the documented MREC behaviour: items replicate whole, typically within a second). Each copy has one
    // writer, so copying it over is exact.
    const start = Math.floor(Date.now() / 600_000) * 600_000 + 7_000;
    const run = async (lagRequests: number) => {
      const replicas = ALL.map(() => new Map<string, Record<string, unknown>>());
      const engines = ALL.map(
        (own, i) =>
          new RiskEngine({
            policy: resolvePolicy({}),
            store: new MemoryCounterStore({ items: replicas[i]!, regions: { own, all: ALL } }),
          }),
      );
      const replicate = () => {
        for (const [i, own] of ALL.entries())
          for (const [key, item] of replicas[i]!)
            if (key.includes(`@${own}|`)) replicas[1 - i]!.set(key, structuredClone(item));
      };
      const effects: string[] = [];
      // Act: 10 requests a second from one subject, alternating Regions
      for (let i = 0; i < 400; i += 1) {
        if (i % lagRequests === 0) replicate();
        effects.push(
          (
            await engines[i % 2]!.decide(
              restRequest({ ip: '203.0.113.10', at: start + i * 100 }),
              authed('flooder'),
            )
          ).effect,
        );
      }
      return effects.indexOf('deny');
    };
    const instant = await run(1);
    const oneSecond = await run(10);
    // Assess: 10 requests = 1 s at this rate
    console.log(
      `[regions] token flood over two Regions: first deny at request ${instant} (instant), ${oneSecond} (1 s replication)`,
    );
    expect(instant).toBeGreaterThan(0);
    expect(oneSecond).toBeGreaterThanOrEqual(instant);
    expect(oneSecond - instant).toBeLessThanOrEqual(10);
  });
});
