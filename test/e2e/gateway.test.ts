import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  APIGatewayProxyEventSchema,
  APIGatewayProxyEventV2Schema,
  APIGatewayRequestAuthorizerEventSchema,
  APIGatewayRequestAuthorizerEventV2Schema,
} from '@aws-lambda-powertools/parser/schemas';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenHash } from '../../lambdas/shared/token-hash';
import { CliError } from '../../lib/cli/errors';
import { type LocalStack, startLocalStack } from '../../lib/cli/local-stack';
import {
  blockClient,
  listBlocks,
  normaliseBlockValue,
  parseDuration,
  unblockClient,
  validatePolicyFile,
} from '../../lib/cli/operator';
import { formatReplay, replayAccessLog } from '../../lib/cli/replay';
import { runSimulation, selectScenarios } from '../../lib/cli/simulate';
import { httpProxyEvent, restProxyEvent } from '../../lib/local/events';
import { formatReportTable, renderReportHtml } from '../../lib/local/report';
import { DEMO_POLICY } from '../../lib/local/scenarios';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { createTestTable } from '../helpers/table';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const root = new URL('../../', import.meta.url).pathname;

describe('local gateway', () => {
  let issuer: TokenIssuer;
  let client: DynamoDBClient;
  let stack: LocalStack;
  let token: string;

  beforeAll(async () => {
    issuer = await startTokenIssuer();
    client = new DynamoDBClient({});
    const tableName = await createTestTable('gw-e2e');
    stack = await startLocalStack({ client, tableName, issuer, policy: DEMO_POLICY });
    stack.gateway.events.recordEvents = true;
    token = await issuer.sign({ sub: 'alice', scope: 'read write' });
  });
  afterAll(async () => {
    await stack?.close();
    await issuer?.close();
    client?.destroy();
  });

  it('serves REST and HTTP API routes with the authorizer context, events shaped like the official samples', async () => {
    // Act
    const rest = await fetch(`${stack.gateway.restUrl}/items/42?page=1`, {
      headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'curl/8.5.0' },
    });
    const http = await fetch(`${stack.gateway.url}/items?page=2`, {
      headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'curl/8.5.0' },
    });
    const login = await fetch(`${stack.gateway.restUrl}/login`, {
      method: 'POST',
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
    });
    // Assess
    expect(rest.status).toBe(200);
    const restBody = (await rest.json()) as {
      id: number;
      caller: { principalId: string; decisionId: string };
    };
    expect(restBody.id).toBe(42);
    expect(restBody.caller.principalId).toBe('alice');
    expect(restBody.caller.decisionId).toMatch(/[0-9a-f-]{36}/);
    expect(http.status).toBe(200);
    expect(((await http.json()) as { caller: { principalId: string } }).caller.principalId).toBe('alice');
    expect(login.status).toBe(200);
    const { rest: restEvents, http: httpEvents } = stack.gateway.events;
    expect(restEvents.length).toBeGreaterThanOrEqual(2);
    expect(httpEvents.length).toBe(1);
    for (const event of restEvents) {
      const parsed = APIGatewayRequestAuthorizerEventSchema.safeParse(event);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
    const parsedV2 = APIGatewayRequestAuthorizerEventV2Schema.safeParse(httpEvents[0]);
    expect(parsedV2.success, JSON.stringify(parsedV2.error?.issues)).toBe(true);
    const first = restEvents[0] as { methodArn: string; pathParameters: Record<string, string> };
    expect(first.methodArn).toMatch(/\/prod\/GET\/items\/42$/);
    expect(first.pathParameters).toEqual({ id: '42' });
  });

  it('refuses like API Gateway: 401 without a token, 403 with the decision id, unknown routes never reach the authorizer', async () => {
    // Act
    const noToken = await fetch(`${stack.gateway.restUrl}/items/1`);
    const probe = await fetch(`${stack.gateway.restUrl}/admin/backup`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const unknown = await fetch(`${stack.gateway.url}/nope`);
    // Assess
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('x-amzn-errortype')).toBe('UnauthorizedException');
    const unauthorized = (await noToken.json()) as { message: string; requestId: string };
    expect(unauthorized.message).toBe('Unauthorized');
    expect(unauthorized.requestId).toMatch(/[0-9a-f-]{36}/);
    expect(probe.status).toBe(403);
    const forbidden = (await probe.json()) as { message: string; decisionId: string };
    expect(forbidden.message).toBe('Forbidden');
    expect(forbidden.decisionId).toMatch(/[0-9a-f-]{36}/);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-amzn-errortype')).toBeNull();
  });

  it("runs the shop's body-taking routes behind the body middleware: a probe in a body gets the next request refused", async () => {
    // Prepare
    const carol = await issuer.sign({ sub: 'carol', scope: 'read write' });
    const dave = await issuer.sign({ sub: 'dave', scope: 'read write' });
    const post = (who: string, body: unknown) =>
      fetch(`${stack.gateway.restUrl}/cart`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${who}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const view = (who: string) =>
      fetch(`${stack.gateway.url}/cart`, { headers: { Authorization: `Bearer ${who}` } });
    // Act
    const probe = await post(carol, { id: 7, quantity: '1 UNION SELECT card FROM payments --' });
    const carolNext = await view(carol);
    const clean = await post(dave, { id: 7, quantity: 2 });
    const daveNext = await view(dave);
    // Assess: the backend served the probe (record mode); the authorizer refused carol's next request
    expect(probe.status).toBe(200);
    expect(carolNext.status).toBe(403);
    expect(clean.status).toBe(200);
    expect(((await clean.json()) as { added: unknown }).added).toEqual({ id: 7, quantity: 2 });
    expect(daveNext.status).toBe(200);
  });

  it('builds proxy-integration events the Powertools parser accepts', () => {
    // Prepare
    const shape = {
      method: 'POST',
      path: '/cart',
      resource: '/cart',
      headers: { 'Content-Type': 'application/json' },
      sourceIp: '198.51.100.4',
      timeMs: Date.now(),
      body: '{"id":1}',
      authorizer: { principalId: 'alice', sub: 'alice', riskScore: 0 },
    };
    // Act
    const rest = APIGatewayProxyEventSchema.safeParse(restProxyEvent(shape));
    const http = APIGatewayProxyEventV2Schema.safeParse(httpProxyEvent({ ...shape, base64: true }));
    // Assess
    expect(rest.success, JSON.stringify(rest.error?.issues)).toBe(true);
    expect(http.success, JSON.stringify(http.error?.issues)).toBe(true);
  });

  it('ignores simulation headers unless asked to honour them', async () => {
    // Act
    // Bob: Alice touched the honeypot above and is blocked now.
    const bob = await issuer.sign({ sub: 'bob', scope: 'read' });
    const res = await fetch(`${stack.gateway.restUrl}/items/7`, {
      headers: { Authorization: `Bearer ${bob}`, 'x-gatewarden-sim-backend-status': '418' },
    });
    // Assess
    expect(res.status).toBe(200);
    const last = stack.gateway.events.rest.at(-1) as { headers: Record<string, string> };
    expect(Object.keys(last.headers).some((h) => h.toLowerCase().startsWith('x-gatewarden-sim'))).toBe(false);
  });

  it('a short simulation over HTTP catches the bots, denies no human, and pushes the stuffer to WAF', {
    timeout: 120_000,
  }, async () => {
    // Act
    const reports = await runSimulation({
      client,
      issuer,
      scenarios: selectScenarios(['credential-stuffing', 'token-sharing']),
      seed: 1,
      scale: 0.15,
      concurrency: 2,
      tablePrefix: `e2e-${process.pid}`,
    });
    // Assess
    console.log(`[e2e]\n${formatReportTable(reports)}`);
    for (const r of reports) {
      expect(r.humanDenied, `${r.scenario}: humans denied`).toBe(0);
      expect(r.botDeniedPct, `${r.scenario}: bots denied`).toBeGreaterThanOrEqual(85);
      expect(r.requestsUntilFirstDeny).toBeLessThanOrEqual(15);
    }
    const stuffing = reports.find((r) => r.scenario === 'credential-stuffing')!;
    expect(stuffing.wafAddresses).toContain('203.0.113.45/32');
    const html = renderReportHtml(reports);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });
});

describe('gatewarden replay', () => {
  it('reports what the policy would have blocked on a recorded log, and the humans it would have hit', {
    timeout: 60_000,
  }, async () => {
    // Act
    const result = await replayAccessLog({
      file: fixture('recorded-access-log.jsonl'),
      policyFile: fixture('demo-policy.json'),
      endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    });
    // Assess
    const text = formatReplay(result);
    console.log(`[replay]\n${text}`);
    const s = result.summary;
    expect(s.requests).toBe(302);
    expect(result.meta.badLines).toBe(1);
    expect(result.blocks.map((b) => `${b.scope} ${b.value}`)).toContain('ip 203.0.113.45');
    expect(s.bots.refused / s.bots.requests).toBeGreaterThan(0.5);
    // The person retrying a forgotten password 12 times is reported, not silently counted as a bot.
    expect(s.humansHit.map((h) => h.client)).toContain('198.51.100.50');
    expect(s.humansHit.map((h) => h.client)).not.toContain('user-0');
    expect(text).toContain('human 198.51.100.50');
  });

  it('never touches the live table and refuses a bad policy before starting', async () => {
    await expect(
      replayAccessLog({ file: fixture('recorded-access-log.jsonl'), policyFile: fixture('bad-policy.yaml') }),
    ).rejects.toThrow(/invalid policy/);
  });
});

describe('operator commands', () => {
  let client: DynamoDBClient;
  let table: string;
  beforeAll(async () => {
    client = new DynamoDBClient({});
    table = await createTestTable('gw-cli');
  });
  afterAll(() => client?.destroy());

  it('Compliance 1: policy validate accepts a good file', () => {
    expect(validatePolicyFile(fixture('demo-policy.json'))).toMatch(/valid \(mode enforce/);
  });

  it('Noncompliance 1: policy validate lists every problem with its field', () => {
    let error: unknown;
    try {
      validatePolicyFile(fixture('bad-policy.yaml'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(/mode/);
    expect((error as Error).message).toMatch(/thresholds\.ipPerShort/);
  });

  it('block, list and unblock against DynamoDB Local', async () => {
    // Act
    const { record } = await blockClient(client, table, 'ip', '203.0.113.9', parseDuration('2h'));
    const { note } = await blockClient(client, table, 'prefix', '198.51.100.77/16', parseDuration('15m'));
    await blockClient(client, table, 'subject', 'scraper-1', parseDuration('1d'));
    const listed = await listBlocks(client, table);
    await unblockClient(client, table, 'ip', '203.0.113.9', true);
    const after = await listBlocks(client, table);
    // Assess
    expect(record.expiresAt - record.createdAt).toBe(7200);
    expect(note).toMatch(/WAF only/);
    expect(listed.map((b) => `${b.scope} ${b.value} ${b.origin}`).sort()).toEqual([
      'ip 203.0.113.9 operator',
      'prefix 198.51.0.0/16 operator',
      'subject scraper-1 operator',
    ]);
    expect(after.map((b) => b.value).sort()).toEqual(['198.51.0.0/16', 'scraper-1']);
  });

  it('token blocks store the hash, never the token', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    expect(normaliseBlockValue('token', jwt).value).toBe(tokenHash(jwt));
    expect(() => normaliseBlockValue('token', 'not-a-hash')).toThrow(CliError);
    expect(() => parseDuration('soon')).toThrow(/90s, 15m, 2h or 7d/);
  });

  it('the CLI binary: help on commands, exit codes, a missing table explained', { timeout: 60_000 }, () => {
    const run = (...args: string[]) =>
      spawnSync(join(root, 'node_modules/.bin/tsx'), [join(root, 'bin/gatewarden.ts'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, AWS_REGION: 'us-east-1' },
      });
    // Act
    const help = run('block', '--help');
    const bad = run('policy', 'validate', fixture('bad-policy.yaml'));
    const missing = run(
      'blocks',
      'list',
      '--endpoint',
      process.env.AWS_ENDPOINT_URL_DYNAMODB!,
      '--table',
      'no-such',
    );
    const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
    writeFileSync(join(dir, 'p.json'), '{"mode":"shadow"}');
    const good = run('policy', 'validate', join(dir, 'p.json'));
    const schema = run('policy', 'schema');
    // Assess
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--scope <scope>');
    expect(help.stdout).toContain('Example');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/error: .*invalid policy/);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/not found.*table create/);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/valid \(mode shadow/);
    expect(JSON.parse(schema.stdout).title).toBe('Gatewarden policy');
    expect(readFileSync(fixture('demo-policy.json'), 'utf8')).toContain('/login');
  });
});
