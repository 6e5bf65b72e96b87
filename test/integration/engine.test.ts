import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import type { Decision } from '../../lambdas/authorizer/types';
import type { DecisionRecord, EngineTelemetry } from '../../lambdas/engine/engine';
import { RiskEngine } from '../../lambdas/engine/engine';
import { resolvePolicy } from '../../lambdas/policy/policy';
import { ACTIVE_BLOCKS_INDEX } from '../../lambdas/store/table-schema';
import { anonymous, authed, failed, restRequest } from '../helpers/requests';
import { createTestTable } from '../helpers/table';

function collector() {
  const decisions: DecisionRecord[] = [];
  const storeFailures: { failMode: string; elapsedMs: number }[] = [];
  const telemetry: EngineTelemetry = {
    decision: (d) => decisions.push(d),
    storeFailure: (f) => storeFailures.push(f),
    blockCreated: () => {},
    underAttack: () => {},
  };
  return { decisions, storeFailures, telemetry };
}

const ddb = new DynamoDBClient({});

async function activeBlocks(table: string, now: number) {
  const out = await ddb.send(
    new QueryCommand({
      TableName: table,
      IndexName: ACTIVE_BLOCKS_INDEX,
      KeyConditionExpression: 'listKey = :b AND expiresAt > :now',
      ExpressionAttributeValues: { ':b': { S: 'block' }, ':now': { N: String(now) } },
    }),
  );
  return (out.Items ?? []).map((i) => unmarshall(i));
}

describe('RiskEngine against DynamoDB Local', () => {
  let table: string;
  beforeAll(async () => {
    table = await createTestTable('engine');
  });

  function engine(policy: unknown = {}) {
    const c = collector();
    const e = new RiskEngine({
      policy: resolvePolicy(policy),
      store: new DynamoCounterStore({ tableName: table }),
      telemetry: c.telemetry,
    });
    return { engine: e, ...c };
  }

  it('denies then blocks a token flooding far above human rates, and stops writing for it', async () => {
    // Prepare
    const { engine: e, decisions } = engine();
    const start = Date.now();
    const results: Decision[] = [];
    // Act: 600 requests in 60 s of synthetic time from one subject
    for (let i = 0; i < 600; i += 1) {
      results.push(
        await e.decide(restRequest({ ip: '203.0.113.10', at: start + i * 100 }), authed('flooder')),
      );
    }
    // Assess
    const firstDeny = results.findIndex((r) => r.effect === 'deny');
    expect(firstDeny).toBeGreaterThan(0);
    expect(firstDeny).toBeLessThan(150);
    expect(results.slice(firstDeny).every((r) => r.effect === 'deny')).toBe(true);
    const blocked = decisions.find((d) => d.blocked);
    expect(blocked?.blocked?.scope).toBeDefined();
    const blocks = await activeBlocks(table, Math.floor(start / 1000));
    expect(blocks.some((b) => b.value === 'flooder' || b.value === '203.0.113.10')).toBe(true);
    // After the block, decisions come from the cache (reason "blocked"), no scoring.
    expect(decisions.at(-1)?.reason).toMatch(/^blocked/);
  });

  it('never denies 100 well-behaved users behind one NAT IP', { timeout: 180_000 }, async () => {
    // Prepare
    const { engine: e } = engine();
    const start = Date.now();
    let denied = 0;
    // Act: 100 users, each one request every ~6 s for 90 s, all from one IP
    for (let round = 0; round < 15; round += 1) {
      for (let u = 0; u < 100; u += 1) {
        const d = await e.decide(
          restRequest({
            ip: '192.0.2.50',
            at: start + round * 6000 + u * 50 + ((u * 7919 + round * 104729) % 1500),
          }),
          authed(`office-user-${u}`),
        );
        if (d.effect !== 'allow') denied += 1;
      }
    }
    // Assess
    expect(denied).toBe(0);
  });

  it('loses no increments under parallel requests', async () => {
    // Prepare: default SDK timeouts, so this test is about atomicity, not about the request-path budget
    const e = new RiskEngine({
      policy: resolvePolicy({}),
      store: new DynamoCounterStore({ tableName: table, client: new DynamoDBClient({}) }),
      storeTimeoutMs: 10_000,
    });
    const at = Date.now();
    // Act
    await Promise.all(
      Array.from({ length: 40 }, () => e.decide(restRequest({ at }), authed('parallel-user'))),
    );
    // Assess
    const item = await ddb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'sub#parallel-user' }, sk: { S: 'counter' } } }),
    );
    const minute = Math.floor(at / 60000);
    expect(item.Item?.[`r${minute}`]?.N).toBe('40');
  });

  it('counts failed authentications per IP and blocks a forgery flood', async () => {
    // Prepare
    const { engine: e } = engine();
    const start = Date.now();
    // Act
    const out: Decision[] = [];
    for (let i = 0; i < 60; i += 1) {
      out.push(
        await e.decide(
          restRequest({ ip: '203.0.113.77', at: start + i * 500, rawToken: `forged-${i}` }),
          failed,
        ),
      );
    }
    // Assess: 401 until blocked, then 403 with no further counting
    expect(out[0]?.effect).toBe('unauthorized');
    expect(out.at(-1)?.effect).toBe('deny');
    const blocks = await activeBlocks(table, Math.floor(start / 1000));
    expect(blocks.find((b) => b.value === '203.0.113.77')?.scope).toBe('ip');
  });

  it('answers 401 to anonymous callers on protected routes and lets them through public ones', async () => {
    const { engine: e } = engine({ routes: [{ match: 'GET /items/{id}', access: 'public' }] });
    expect((await e.decide(restRequest({ route: 'POST /orders' }), anonymous)).effect).toBe('unauthorized');
    const pub = await e.decide(restRequest({ ip: '198.51.100.200' }), anonymous);
    expect(pub.effect).toBe('allow');
    expect(pub.effect === 'allow' && pub.principalId).toBe('anonymous');
  });

  it('in shadow mode allows what it would deny and records simulated blocks only', async () => {
    // Prepare
    const { engine: e, decisions } = engine({ mode: 'shadow' });
    const start = Date.now();
    // Act
    const results: Decision[] = [];
    for (let i = 0; i < 500; i += 1) {
      results.push(
        await e.decide(restRequest({ ip: '203.0.113.99', at: start + i * 100 }), authed('shadow-flooder')),
      );
    }
    // Assess
    expect(results.every((r) => r.effect === 'allow')).toBe(true);
    expect(decisions.some((d) => d.band === 'block')).toBe(true);
    const blocks = await activeBlocks(table, Math.floor(start / 1000));
    const mine = blocks.filter((b) => b.value === 'shadow-flooder' || b.value === '203.0.113.99');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((b) => b.simulated === true)).toBe(true);
    // Shadow never relaxes authentication.
    expect((await e.decide(restRequest({ at: start }), failed)).effect).toBe('unauthorized');
  });

  it('escalates repeat offenders: the second block lasts twice as long', async () => {
    // Prepare
    const store = new DynamoCounterStore({ tableName: table });
    const now = Math.floor(Date.now() / 1000);
    // Act
    const first = await store.recordOffence('subject', 'repeat', now, 3600);
    const second = await store.recordOffence('subject', 'repeat', now + 10, 3600);
    // Assess
    expect([first, second]).toEqual([1, 2]);
    // A lapsed memory starts again at 1 even before TTL deletion runs.
    expect(await store.recordOffence('subject', 'repeat', now + 7200, 3600)).toBe(1);
  });
});
