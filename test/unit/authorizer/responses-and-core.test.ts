import { describe, expect, it } from 'vitest';
import { type AuthorizerLogger, createAuthorize } from '../../../lambdas/authorizer/core';
import { normaliseRestEvent } from '../../../lambdas/authorizer/events';
import { IdentityOnlyDecider } from '../../../lambdas/authorizer/identity-only-decider';
import { sanitiseContext, toHttpSimpleResponse, toRestPolicy } from '../../../lambdas/authorizer/responses';
import type { AuthorizerRequest, AuthResult, Decider, Decision } from '../../../lambdas/authorizer/types';
import { tokenHash } from '../../../lambdas/shared/token-hash';
import { loadFixture, withAuthorization } from '../../helpers/fixtures';

const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/POST/lambda-request';
const allow: Decision = { effect: 'allow', principalId: 'user-1', context: { sub: 'user-1', n: 1, b: true } };

describe('responses', () => {
  it('maps allow and deny to an IAM policy for the exact methodArn', () => {
    // Act
    const allowed = toRestPolicy(allow, ARN);
    const denied = toRestPolicy({ ...allow, effect: 'deny' }, ARN);

    // Assess
    expect(allowed).toEqual({
      principalId: 'user-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: ARN }],
      },
      context: { sub: 'user-1', n: 1, b: true },
    });
    expect(denied.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny', Resource: ARN });
  });

  it('maps allow and deny to HTTP simple responses', () => {
    // Act & Assess
    expect(toHttpSimpleResponse(allow)).toEqual({ isAuthorized: true, context: allow.context });
    expect(toHttpSimpleResponse({ ...allow, effect: 'deny' }).isAuthorized).toBe(false);
  });

  it('throws exactly Unauthorized for an unauthorized decision', () => {
    // Act & Assess
    expect(() => toRestPolicy({ effect: 'unauthorized' }, ARN)).toThrowError(new Error('Unauthorized'));
    expect(() => toHttpSimpleResponse({ effect: 'unauthorized' })).toThrowError(new Error('Unauthorized'));
  });

  it('keeps only strings, finite numbers and booleans in the context', () => {
    // Act & Assess
    expect(
      sanitiseContext({ a: 'x', b: 1, c: false, d: null, e: { f: 1 }, g: Number.NaN, h: undefined }),
    ).toEqual({
      a: 'x',
      b: 1,
      c: false,
    });
  });
});

function recordingLogger(): AuthorizerLogger & { lines: string[] } {
  const lines: string[] = [];
  const record = (message: string, ...extra: Record<string, unknown>[]) => {
    lines.push(JSON.stringify({ message, ...Object.assign({}, ...extra) }));
  };
  return { lines, info: record, warn: record, error: record };
}

function restRequest(authorization: string): AuthorizerRequest {
  const event = withAuthorization(loadFixture('powertools-rest-request-authorizer'), authorization);
  event.headers.Cookie = 'session=super-secret-cookie';
  const result = normaliseRestEvent(event, { trustedProxyCount: 0 });
  if (!result.ok) throw new Error(result.problem);
  return result.request;
}

describe('createAuthorize', () => {
  const authenticated: AuthResult = {
    status: 'authenticated',
    identity: {
      subject: 'user-1',
      tokenHash: 'abcd',
      scope: 'read',
      clientId: undefined,
      issuedAt: 1,
      expiresAt: 2,
    },
  };

  it('allows an authenticated caller with the contract context (identity-only decider)', async () => {
    // Prepare
    const logger = recordingLogger();
    const authorize = createAuthorize({
      authenticate: async () => authenticated,
      decider: new IdentityOnlyDecider(),
      tokenDecider: new IdentityOnlyDecider(),
      logger,
    });

    // Act
    const decision = await authorize(restRequest('Bearer raw-token-value'));

    // Assess
    expect(decision).toEqual({
      effect: 'allow',
      principalId: 'user-1',
      context: {
        sub: 'user-1',
        scope: 'read',
        tokenHash: 'abcd',
        decisionId: expect.any(String),
        riskBand: 'allow',
      },
    });
  });

  it('sends TOKEN events to the identity-only decider, never to the configured one', async () => {
    // Prepare
    const calls: string[] = [];
    const engine: Decider = {
      decide: async () => {
        calls.push('engine');
        return { effect: 'deny', principalId: 'x', context: {} };
      },
    };
    const authorize = createAuthorize({
      authenticate: async () => authenticated,
      decider: engine,
      tokenDecider: new IdentityOnlyDecider(),
      logger: recordingLogger(),
    });
    const token = normaliseRestEvent(loadFixture('powertools-rest-token-authorizer'), {
      trustedProxyCount: 0,
    });
    if (!token.ok) throw new Error(token.problem);

    // Act
    const decision = await authorize(token.request);

    // Assess
    expect(decision.effect).toBe('allow');
    expect(calls).toEqual([]);
  });

  it('fails closed when the decider or authenticator throws, and never logs secrets', async () => {
    // Prepare
    const logger = recordingLogger();
    const rawToken = 'eyJhbGciOiJSUzI1NiJ9.secret-payload.secret-signature';
    const authorize = createAuthorize({
      authenticate: async () => ({ status: 'failed', reason: 'invalid-signature', detail: 'bad signature' }),
      decider: {
        decide: async () => {
          throw new Error('store exploded');
        },
      },
      tokenDecider: new IdentityOnlyDecider(),
      logger,
    });
    const throwing = createAuthorize({
      authenticate: async () => {
        throw new Error('boom');
      },
      decider: new IdentityOnlyDecider(),
      tokenDecider: new IdentityOnlyDecider(),
      logger,
    });

    // Act
    const decisions = [
      await authorize(restRequest(`Bearer ${rawToken}`)),
      await throwing(restRequest(`Bearer ${rawToken}`)),
    ];

    // Assess
    expect(decisions).toEqual([{ effect: 'unauthorized' }, { effect: 'unauthorized' }]);
    const log = logger.lines.join('\n');
    expect(log).toContain(tokenHash(rawToken));
    expect(log).toContain('invalid-signature');
    expect(log).not.toContain('secret-payload');
    expect(log).not.toContain('super-secret-cookie');
    expect(log).not.toContain('Bearer');
  });
});
