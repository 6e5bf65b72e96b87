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
});
