import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpHandler, createRestHandler } from '../../lambdas/authorizer/handler-factory';
import { bodyInspection } from '../../lambdas/middleware';
import { httpProxyEvent, restProxyEvent } from '../../lib/local/events';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { lambdaContext } from '../helpers/fixtures';
import { httpEvent, restRequestEvent } from '../helpers/gateway-events';
import { writePolicyFile } from '../helpers/policy-file';
import { createTestTable } from '../helpers/table';

/**
 * The end-to-end claim of the body middleware, on DynamoDB Local with the real authorizer handlers: a probe in a
 * request body, recorded by the middleware on the backend, makes the authorizer deny that client's next request;
 * a clean body writes nothing and the next request passes.
 */

let issuer: TokenIssuer;
let table: string;
const ddb = new DynamoDBClient({});
const SILENT = { warn: () => {}, error: () => {} };

beforeAll(async () => {
  issuer = await startTokenIssuer();
  table = await createTestTable('body');
});

afterAll(async () => {
  await issuer.close();
  ddb.destroy();
});

const env = () => ({
  ...issuer.env(),
  GATEWARDEN_TABLE: table,
  GATEWARDEN_STORE_TIMEOUT_MS: '5000',
  // POST /login is public: anonymous callers are scored by IP.
  GATEWARDEN_POLICY: writePolicyFile({ routes: [{ match: 'POST /login', access: 'public' }] }),
});

/** A backend Lambda behind the middleware, writing to the same table the authorizer reads. */
function backend() {
  let calls = 0;
  const handler = middy(async () => {
    calls += 1;
    return { statusCode: 200, body: '{"ok":true}' };
  }).use(
    bodyInspection({
      tableName: table,
      storeTimeoutMs: 5000,
      logger: SILENT,
      metrics: { singleMetric: () => ({ addDimension: () => {}, addMetric: () => {} }) } as never,
    }),
  );
  return { handler, calls: () => calls };
}

const effect = (policy: { policyDocument: { Statement: { Effect?: string }[] } }) =>
  policy.policyDocument.Statement[0]?.Effect;

async function counterItem(pk: string): Promise<Record<string, unknown> | undefined> {
  const out = await ddb.send(
    new GetItemCommand({
      TableName: table,
      Key: { pk: { S: pk }, sk: { S: 'counter' } },
      ConsistentRead: true,
    }),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
}

/** One authenticated client's three steps on the REST API: POST with a body, the backend, then GET. */
async function restJourney(subject: string, ip: string, body: string) {
  const authorizer = createRestHandler({ env: env() });
  const shop = backend();
  const token = await issuer.sign({ sub: subject });
  const t0 = Date.now();
  const post = await authorizer(
    restRequestEvent({
      method: 'POST',
      resource: '/cart',
      path: '/cart',
      pathParameters: {},
      authorization: `Bearer ${token}`,
      sourceIp: ip,
      timeMs: t0,
    }),
    lambdaContext(),
  );
  // A client new to the fleet is written off the request's path: wait until the authorizer's own write has landed.
  const before = await vi.waitFor(
    async () => {
      const item = await counterItem(`sub#${subject}`);
      if (!item) throw new Error('the authorizer has not written the client yet');
      return item;
    },
    { timeout: 10_000, interval: 20 },
  );
  const answer = await shop.handler(
    restProxyEvent({
      method: 'POST',
      path: '/cart',
      resource: '/cart',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      sourceIp: ip,
      timeMs: t0 + 100,
      body,
      authorizer: { principalId: post.principalId, ...post.context },
    }),
    lambdaContext(),
  );
  const after = await counterItem(`sub#${subject}`);
  // The next request, one second later: inside every sync interval the engine would otherwise wait for.
  const next = await authorizer(
    restRequestEvent({
      method: 'GET',
      resource: '/cart',
      path: '/cart',
      pathParameters: {},
      authorization: `Bearer ${token}`,
      sourceIp: ip,
      timeMs: t0 + 1000,
    }),
    lambdaContext(),
  );
  return { post, answer, backendCalls: shop.calls(), before, after, next };
}

describe('body middleware → authorizer, on DynamoDB Local', () => {
  it('REST, authenticated: a SQL injection in a JSON body gets the next request denied', async () => {
    // Act
    const r = await restJourney('body-prober', '203.0.113.61', '{"id":42,"coupon":"x\' OR \'1\'=\'1"}');
    // Assess
    expect(effect(r.post)).toBe('Allow');
    // The backend's own request was not blocked (onHit: record).
    expect(r.answer).toEqual({ statusCode: 200, body: '{"ok":true}' });
    expect(r.backendCalls).toBe(1);
    const hits = (item: Record<string, unknown> | undefined, kind: string) =>
      Object.entries(item ?? {})
        .filter(([name]) => new RegExp(`^${kind}\\d+$`).test(name))
        .reduce((sum, [, v]) => sum + Number(v), 0);
    expect(hits(r.after, 'b') - hits(r.before, 'b')).toBe(1);
    expect(hits(r.after, 'i') - hits(r.before, 'i')).toBe(1);
    expect(effect(r.next)).toBe('Deny');
    expect(r.next.context).toMatchObject({ riskBand: 'deny', riskSignals: 'malicious-input' });
  });

  it('REST, authenticated: a clean body writes nothing and the next request is allowed', async () => {
    // Act
    const r = await restJourney(
      'body-shopper',
      '203.0.113.62',
      '{"id":42,"quantity":2,"note":"gift wrap, please"}',
    );
    // Assess
    expect(r.answer).toEqual({ statusCode: 200, body: '{"ok":true}' });
    expect(r.after).toEqual(r.before);
    expect(effect(r.next)).toBe('Allow');
    expect(r.next.context).toMatchObject({ riskBand: 'allow' });
  });

  it('HTTP API, anonymous: a base64 form body probe on a public route gets the IP denied on its next request', async () => {
    // Prepare
    const authorizer = createHttpHandler({ env: env() });
    const shop = backend();
    const ip = '203.0.113.63';
    const t0 = Date.now();
    const login = (timeMs: number) =>
      httpEvent({
        method: 'POST',
        resource: '/login',
        path: '/login',
        pathParameters: {},
        sourceIp: ip,
        timeMs,
      });
    // Act
    const first = await authorizer(login(t0), lambdaContext());
    const answer = await shop.handler(
      httpProxyEvent({
        method: 'POST',
        path: '/login',
        resource: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        sourceIp: ip,
        timeMs: t0 + 100,
        body: 'username=admin&password=%27%20OR%201%3D1%20--',
        base64: true,
        authorizer: first.context,
      }),
      lambdaContext(),
    );
    const next = await authorizer(login(t0 + 1000), lambdaContext());
    // Assess
    expect(first.isAuthorized).toBe(true);
    expect(answer).toEqual({ statusCode: 200, body: '{"ok":true}' });
    expect(next.isAuthorized).toBe(false);
    expect(next.context).toMatchObject({ riskSignals: 'malicious-input' });
  });
});
