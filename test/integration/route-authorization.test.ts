import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpHandler, createRestHandler } from '../../lambdas/authorizer/handler-factory';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { lambdaContext } from '../helpers/fixtures';
import { type GatewayRequest, httpEvent, restRequestEvent, restTokenEvent } from '../helpers/gateway-events';
import { writePolicyFile } from '../helpers/policy-file';
import { createTestTable } from '../helpers/table';

/**
 * Route authorization through the real handlers and the risk engine on DynamoDB Local: 403 (never 401) with the
 * reason in the decision line for a valid token that fails `require`, in shadow mode too; what TOKEN events can
 * check from the method ARN; and `authz-probing` denying, then blocking, a subject that keeps trying.
 */

const POLICY = {
  routes: [
    { match: 'DELETE /orders/{id}', require: { scopes: ['orders/write', 'orders/admin'] } },
    { match: 'POST /admin/*', require: { allScopes: ['admin', 'write'], groups: ['admins'] } },
    { match: 'ANY /users/{userId}/*', require: { owner: { param: 'userId', claim: 'sub' } } },
  ],
};

let issuer: TokenIssuer;
let table: string;
let network = 0;
const freshIp = (): string => `2001:db8:a${(++network).toString(16)}::1`;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  table = await createTestTable('authz');
});

afterAll(async () => {
  await issuer.close();
});

const envFor = (policy: unknown = POLICY, extra: Record<string, string> = {}) => ({
  ...issuer.env(),
  GATEWARDEN_TABLE: table,
  GATEWARDEN_STORE_TIMEOUT_MS: '5000',
  GATEWARDEN_POLICY: writePolicyFile(policy),
  GATEWARDEN_MODE: 'enforce',
  ...extra,
});

interface Answer {
  readonly status: 200 | 401 | 403;
  readonly context?: Record<string, unknown>;
  readonly lines: Record<string, unknown>[];
}

async function call(
  handler: (event: unknown, context: never) => Promise<unknown>,
  event: unknown,
): Promise<Answer> {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
  const lines = () =>
    chunks
      .flatMap((c) => c.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  try {
    const result = (await handler(event, lambdaContext() as never)) as {
      isAuthorized?: boolean;
      policyDocument?: { Statement: { Effect: string }[] };
      context?: Record<string, unknown>;
    };
    const allowed = result.isAuthorized ?? result.policyDocument?.Statement[0]?.Effect === 'Allow';
    return { status: allowed ? 200 : 403, context: result.context, lines: lines() };
  } catch (error) {
    expect((error as Error).message).toBe('Unauthorized');
    return { status: 401, lines: lines() };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const logger = () => new Logger({ serviceName: 'gatewarden-authz-test', logLevel: 'INFO' });
const bearer = async (claims: Record<string, unknown>) => `Bearer ${await issuer.sign(claims)}`;
const deleteOrder = (authorization: string | undefined, ip: string): GatewayRequest => ({
  method: 'DELETE',
  resource: '/orders/{id}',
  path: '/orders/42',
  pathParameters: { id: '42' },
  authorization,
  sourceIp: ip,
});

describe.each([
  ['REST REQUEST', () => createRestHandler({ env: envFor(), logger: logger() }), restRequestEvent],
  ['HTTP API', () => createHttpHandler({ env: envFor(), logger: logger() }), httpEvent],
] as const)('%s: require on routes', (_name, make, event) => {
  let handler: ReturnType<typeof make>;
  beforeAll(() => {
    handler = make();
  });

  it('DELETE /orders/{id}: a read-only token gets 403 insufficient-scope (decision line), a writer 200, no token 401', async () => {
    // Prepare
    const ip = freshIp();
    const reader = await bearer({ sub: 'reader', scope: 'orders/read' });
    const writer = await bearer({ sub: 'writer', scope: 'orders/read orders/write' });

    // Act
    const refused = await call(handler as never, event(deleteOrder(reader, ip)));
    const allowed = await call(handler as never, event(deleteOrder(writer, ip)));
    const anonymous = await call(handler as never, event(deleteOrder(undefined, ip)));
    const forged = await call(handler as never, event(deleteOrder('Bearer a.b.c', ip)));

    // Assess
    expect(refused.status).toBe(403);
    expect(refused.lines).toContainEqual(
      expect.objectContaining({
        effect: 'deny',
        authzFailure: 'insufficient-scope',
        reason: 'authorization failed: insufficient-scope',
      }),
    );
    expect(JSON.stringify(refused.context)).not.toContain('insufficient');
    expect(allowed.status).toBe(200);
    expect(anonymous.status).toBe(401);
    expect(forged.status).toBe(401);
  });

  it('POST /admin/*: every listed scope and one of the groups', async () => {
    // Prepare
    const ip = freshIp();
    const req = (authorization: string): GatewayRequest => ({
      method: 'POST',
      resource: '/admin/{proxy+}',
      path: '/admin/users',
      pathParameters: { proxy: 'users' },
      authorization,
      sourceIp: ip,
    });

    // Act
    const admin = await call(
      handler as never,
      event(req(await bearer({ sub: 'root', scope: 'admin write', groups: ['admins'] }))),
    );
    const noGroup = await call(
      handler as never,
      event(req(await bearer({ sub: 'ops', scope: 'admin write', groups: ['staff'] }))),
    );
    const oneScope = await call(
      handler as never,
      event(req(await bearer({ sub: 'ops2', scope: 'admin', groups: ['admins'] }))),
    );

    // Assess
    expect(admin.status).toBe(200);
    expect(noGroup.status).toBe(403);
    expect(noGroup.lines).toContainEqual(expect.objectContaining({ authzFailure: 'not-in-group' }));
    expect(oneScope.lines).toContainEqual(expect.objectContaining({ authzFailure: 'insufficient-scope' }));
  });

  it('ANY /users/{userId}/*: only the owner (path parameter = sub)', async () => {
    // Prepare
    const ip = freshIp();
    const req = (userId: string, authorization: string): GatewayRequest => ({
      method: 'GET',
      resource: '/users/{userId}/{proxy+}',
      path: `/users/${userId}/orders`,
      pathParameters: { userId, proxy: 'orders' },
      authorization,
      sourceIp: ip,
    });
    const alice = await bearer({ sub: 'alice' });

    // Act
    const own = await call(handler as never, event(req('alice', alice)));
    const other = await call(handler as never, event(req('bob', alice)));

    // Assess
    expect(own.status).toBe(200);
    expect(other.status).toBe(403);
    expect(other.lines).toContainEqual(expect.objectContaining({ authzFailure: 'not-owner' }));
  });
});

describe('shadow mode never relaxes route authorization', () => {
  it('still answers 403 (and still allows what is allowed)', async () => {
    // Prepare
    const handler = createHttpHandler({
      env: envFor(POLICY, { GATEWARDEN_MODE: 'shadow' }),
      logger: logger(),
    });
    const ip = freshIp();

    // Act
    const refused = await call(
      handler as never,
      httpEvent(deleteOrder(await bearer({ sub: 's1', scope: 'orders/read' }), ip)),
    );
    const allowed = await call(
      handler as never,
      httpEvent(deleteOrder(await bearer({ sub: 's2', scope: 'orders/admin' }), ip)),
    );

    // Assess
    expect(refused.status).toBe(403);
    expect(allowed.status).toBe(200);
  });
});

describe('REST TOKEN events: require from the method ARN', () => {
  it('checks scopes, groups and owner on the concrete path; a bare JWT works too', async () => {
    // Prepare
    const handler = createRestHandler({ env: envFor(), logger: logger() });
    const reader = await issuer.sign({ sub: 'alice', scope: 'orders/read' });

    // Act
    const del = await call(
      handler as never,
      restTokenEvent({ method: 'DELETE', path: '/orders/9', authorization: `Bearer ${reader}` }),
    );
    const get = await call(
      handler as never,
      restTokenEvent({ method: 'GET', path: '/orders/9', authorization: reader }),
    );
    const own = await call(
      handler as never,
      restTokenEvent({ method: 'GET', path: '/users/alice/orders', authorization: reader }),
    );
    const other = await call(
      handler as never,
      restTokenEvent({ method: 'PUT', path: '/users/bob/orders', authorization: reader }),
    );

    // Assess
    expect(del.status).toBe(403);
    expect(del.lines).toContainEqual(
      expect.objectContaining({ effect: 'deny', reason: 'insufficient-scope', kind: 'rest-token' }),
    );
    expect(get.status).toBe(200);
    expect(own.status).toBe(200);
    expect(other.status).toBe(403);
    expect(other.lines).toContainEqual(expect.objectContaining({ reason: 'not-owner' }));
  });
});

describe('authz-probing: repeated refusals deny, then block', () => {
  it("a subject walking other users' objects is denied on its own objects at the threshold, then blocked", async () => {
    // Prepare: per subject 5 refusals reach the signal's weight (deny), 13 reach the block band (ramp to 100 at 4x).
    const policy = {
      ...POLICY,
      defaults: { thresholds: { authzFailuresPerSubject: 5, authzFailuresPerIp: 1000 } },
    };
    const handler = createRestHandler({ env: envFor(policy), logger: logger() });
    const ip = freshIp();
    const token = await bearer({ sub: 'mallory' });
    const req = (userId: string): GatewayRequest => ({
      method: 'GET',
      resource: '/users/{userId}/{proxy+}',
      path: `/users/${userId}/orders`,
      pathParameters: { userId, proxy: 'orders' },
      authorization: token,
      sourceIp: ip,
    });

    // Act
    const before = await call(handler as never, restRequestEvent(req('mallory')));
    const probes: Answer[] = [];
    for (let id = 0; id < 5; id += 1)
      probes.push(await call(handler as never, restRequestEvent(req(`victim-${id}`))));
    const afterDeny = await call(handler as never, restRequestEvent(req('mallory')));
    for (let id = 5; id < 13; id += 1)
      probes.push(await call(handler as never, restRequestEvent(req(`victim-${id}`))));
    const afterBlock = await call(handler as never, restRequestEvent(req('mallory')));

    // Assess
    expect(before.status).toBe(200);
    expect(probes.every((p) => p.status === 403)).toBe(true);
    expect(afterDeny.status).toBe(403);
    expect(afterDeny.lines).toContainEqual(
      expect.objectContaining({
        effect: 'deny',
        signals: expect.arrayContaining([expect.objectContaining({ name: 'authz-probing' })]),
      }),
    );
    expect(probes.at(-1)?.lines).toContainEqual(
      expect.objectContaining({ blocked: expect.objectContaining({ scope: 'subject', value: 'mallory' }) }),
    );
    expect(afterBlock.status).toBe(403);
    expect(afterBlock.context).toMatchObject({ riskBand: 'block' });
  });

  it('many subjects from one IP, each refused a few times, block the IP', async () => {
    // Prepare
    const policy = {
      ...POLICY,
      defaults: { thresholds: { authzFailuresPerSubject: 1000, authzFailuresPerIp: 4 } },
    };
    const handler = createHttpHandler({ env: envFor(policy), logger: logger() });
    const ip = freshIp();
    const answers: Answer[] = [];

    // Act: 10 refusals from 10 subjects (block band at 2.5x the threshold)
    for (let i = 0; i < 10; i += 1) {
      answers.push(
        await call(
          handler as never,
          httpEvent(deleteOrder(await bearer({ sub: `bot-${i}`, scope: 'orders/read' }), ip)),
        ),
      );
    }
    const innocent = await call(
      handler as never,
      httpEvent(deleteOrder(await bearer({ sub: 'late', scope: 'orders/write' }), ip)),
    );

    // Assess
    expect(answers.flatMap((a) => a.lines)).toContainEqual(
      expect.objectContaining({ blocked: expect.objectContaining({ scope: 'ip', value: ip }) }),
    );
    expect(innocent.status).toBe(403);
    expect(innocent.context).toMatchObject({ riskBand: 'block' });
  });
});
