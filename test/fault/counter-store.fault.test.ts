import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { createRestHandler as CreateRestHandler } from '../../lambdas/authorizer/handler-factory';
import { createTableInput } from '../../lambdas/store/create-table';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local';
import { restRequestEvent } from '../../lib/local/events';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { captureOutput } from '../fuzz/output-sink';
import { lambdaContext } from '../helpers/fixtures';
import { writePolicyFile } from '../helpers/policy-file';

/**
 * Fault injection on the counter store, against real processes on loopback: a stopped DynamoDB Local, an endpoint
 * that accepts connections and never answers, and one that answers DynamoDB's throttling errors. The real REST
 * handler with the default decider (request-path client: 150 ms timeouts, 2 attempts; engine budget 350 ms) must
 * apply the route's fail mode - open: Allow with `failOpen: true`; closed: Deny (403) - within about 400 ms, and say
 * so with a StoreFailure EMF metric and an error log line. Budgets are asserted loosely (shared 2-core CI) and
 * printed as `[fault]` lines.
 */

const BUDGET_MS = 1500;
const TABLE = 'gw-fault';
let issuer: TokenIssuer;
let token: string;
let policyFile: string;
const servers: { close(): void }[] = [];

beforeAll(async () => {
  issuer = await startTokenIssuer();
  token = await issuer.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 });
  policyFile = writePolicyFile({
    mode: 'enforce',
    defaults: { failMode: 'open' },
    routes: [{ match: 'POST /login', failMode: 'closed' }],
  });
});

afterAll(async () => {
  for (const server of servers) server.close();
  await issuer.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

async function listen<T extends HttpServer | TcpServer>(server: T): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

/** An endpoint that accepts TCP connections and never answers. */
async function blackhole(): Promise<string> {
  const sockets: Socket[] = [];
  const server = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  const endpoint = await listen(server);
  servers.push({
    close: () => {
      for (const socket of sockets) socket.destroy();
    },
  });
  return endpoint;
}

/** An endpoint answering every DynamoDB call with a throttling error (400, JSON 1.0 protocol). */
async function throttling(
  type: 'ProvisionedThroughputExceededException' | 'ThrottlingException',
): Promise<string> {
  const server = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response
        .writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'fault' })
        .end(
          JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'Rate exceeded' }),
        );
    });
  });
  return listen(server);
}

/** A DynamoDB Local that had the table, then was stopped: connections are refused. */
async function stoppedDynamoDbLocal(): Promise<string> {
  const ddb = await startDynamoDbLocal();
  const client = new DynamoDBClient({ endpoint: ddb.endpoint });
  await client.send(new CreateTableCommand(createTableInput(TABLE)));
  client.destroy();
  await ddb.stop();
  return ddb.endpoint;
}

/** The real REST handler from freshly imported modules, so the shared Powertools logger logs at INFO. */
async function restHandlerAgainst(endpoint: string): Promise<ReturnType<typeof CreateRestHandler>> {
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', endpoint);
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.resetModules();
  const { createRestHandler } = await import('../../lambdas/authorizer/handler-factory');
  return createRestHandler({
    env: { ...issuer.env(), GATEWARDEN_TABLE: TABLE, GATEWARDEN_POLICY: policyFile },
  });
}

const event = (route: 'open' | 'closed', i: number) =>
  restRequestEvent({
    method: route === 'open' ? 'GET' : 'POST',
    path: route === 'open' ? `/items/${i}` : '/login',
    resource: route === 'open' ? '/items/{id}' : '/login',
    headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'Mozilla/5.0' },
    sourceIp: `198.51.100.${10 + i}`,
    timeMs: Date.now(),
  });

type Handler = Awaited<ReturnType<typeof restHandlerAgainst>>;

/** Times `n` requests (after one warm-up that loads the JWKS and builds the runtime); returns the slowest. */
async function measure(handler: Handler, route: 'open' | 'closed', n = 3) {
  const logs = captureOutput({ keep: 500 });
  const times: number[] = [];
  const results: Awaited<ReturnType<Handler>>[] = [];
  try {
    await handler(event(route, 0), lambdaContext());
    for (let i = 1; i <= n; i += 1) {
      const started = performance.now();
      results.push(await handler(event(route, i), lambdaContext()));
      times.push(Math.round(performance.now() - started));
    }
  } finally {
    logs.restore();
  }
  return { times, max: Math.max(...times), results, logs };
}

const faults: [string, () => Promise<string>][] = [
  ['DynamoDB Local stopped (connection refused)', stoppedDynamoDbLocal],
  ['endpoint accepts TCP and never answers', blackhole],
  [
    'ProvisionedThroughputExceededException (400)',
    () => throttling('ProvisionedThroughputExceededException'),
  ],
  ['ThrottlingException (400)', () => throttling('ThrottlingException')],
];

describe('counter store faults -> the route fail mode, within the budget', () => {
  // Starting a private DynamoDB Local (Java) can take a while on a busy machine.
  it.each(faults)('%s', { timeout: 120_000 }, async (label, start) => {
    // Prepare
    const endpoint = await start();
    const handler = await restHandlerAgainst(endpoint);

    // Act
    const open = await measure(handler, 'open');
    const closed = await measure(handler, 'closed');

    // Assess
    console.log(
      `[fault] store: ${label}: fail-open route ${open.times.join('/')} ms, fail-closed route ${closed.times.join('/')} ms`,
    );
    for (const r of open.results) {
      expect(r.policyDocument.Statement[0]?.Effect).toBe('Allow');
      expect(r.context).toMatchObject({ failOpen: true, sub: 'alice' });
    }
    for (const r of closed.results) {
      expect(r.policyDocument.Statement[0]?.Effect).toBe('Deny');
      expect(r.context).toMatchObject({ failMode: 'closed' });
    }
    expect(open.max).toBeLessThan(BUDGET_MS);
    expect(closed.max).toBeLessThan(BUDGET_MS);
    for (const run of [open, closed]) {
      // The log line and the StoreFailure metric (EMF, published at once) for every request.
      expect(
        run.logs.matching('counter store unavailable; applying the route fail mode').length,
      ).toBeGreaterThanOrEqual(4);
      expect(run.logs.matching('"StoreFailure"').length).toBeGreaterThanOrEqual(4);
    }
    expect(open.logs.matching('"FailMode":"open"').length).toBeGreaterThan(0);
    expect(closed.logs.matching('"FailMode":"closed"').length).toBeGreaterThan(0);
  });
});
