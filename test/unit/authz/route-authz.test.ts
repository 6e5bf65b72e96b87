import { describe, expect, it } from 'vitest';
import { authorizeRequest } from '../../../lambdas/authz/authorize-request';
import { checkRequirement, pathParametersFromPattern, routeOfArn } from '../../../lambdas/authz/route-authz';
import { isPolicyError, resolvePolicy } from '../../../lambdas/policy/policy';
import { identity, restRequest } from '../../helpers/requests';

const who = (scope: string, groups: string[] = [], claims: Record<string, unknown> = {}) => ({
  scope,
  groups,
  claims,
});

describe('checkRequirement', () => {
  it('scopes: any one of them, as API Gateway authorizationScopes', () => {
    // Prepare
    const rule = { scopes: ['orders/write', 'orders/admin'] };

    // Act & Assess
    expect(checkRequirement(rule, who('orders/read orders/admin'), {})).toEqual({ ok: true });
    expect(checkRequirement(rule, who('orders/read'), {})).toMatchObject({
      ok: false,
      reason: 'insufficient-scope',
    });
    // Scopes are whole words: a prefix or a substring is not the scope.
    expect(checkRequirement(rule, who('orders/writer orders/adm'), {})).toMatchObject({ ok: false });
  });

  it('allScopes: every one; groups: any one', () => {
    // Prepare
    const rule = { allScopes: ['admin', 'write'], groups: ['admins'] };

    // Act & Assess
    expect(checkRequirement(rule, who('write admin', ['staff', 'admins']), {})).toEqual({ ok: true });
    expect(checkRequirement(rule, who('write', ['admins']), {})).toMatchObject({
      reason: 'insufficient-scope',
    });
    expect(checkRequirement(rule, who('admin write', ['staff']), {})).toMatchObject({
      reason: 'not-in-group',
    });
    expect(checkRequirement(rule, who('admin write'), {})).toMatchObject({ reason: 'not-in-group' });
  });

  it('owner: the path parameter must equal the claim, exactly', () => {
    // Prepare
    const rule = { owner: { param: 'userId', claim: 'sub' } };
    const alice = who('', [], { sub: 'alice', tenant: { id: 't1' } });

    // Act & Assess
    expect(checkRequirement(rule, alice, { userId: 'alice' })).toEqual({ ok: true });
    expect(checkRequirement(rule, alice, { userId: 'bob' })).toMatchObject({ reason: 'not-owner' });
    expect(checkRequirement(rule, alice, { userId: 'Alice' })).toMatchObject({ reason: 'not-owner' });
    expect(checkRequirement(rule, alice, {})).toMatchObject({ reason: 'not-owner' });
    expect(checkRequirement(rule, who(''), { userId: '' })).toMatchObject({ reason: 'not-owner' });
    expect(checkRequirement({ owner: { param: 't', claim: 'tenant.id' } }, alice, { t: 't1' })).toEqual({
      ok: true,
    });
  });

  it('no requirement allows', () => {
    expect(checkRequirement(undefined, who(''), {})).toEqual({ ok: true });
  });
});

describe('TOKEN events: route and parameters from the method ARN', () => {
  it('reads METHOD and the concrete path of REST and HTTP ARNs', () => {
    // Act & Assess
    expect(routeOfArn('arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/DELETE/orders/42')).toEqual({
      method: 'DELETE',
      path: '/orders/42',
    });
    expect(routeOfArn('arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/')).toEqual({
      method: 'GET',
      path: '/',
    });
    expect(routeOfArn('not-an-arn')).toBeUndefined();
  });

  it('takes path parameters by the pattern, greedy ones included, percent-decoded', () => {
    // Act & Assess
    expect(pathParametersFromPattern('ANY /users/{userId}/*', '/users/alice%40example.com/orders')).toEqual({
      userId: 'alice@example.com',
    });
    expect(pathParametersFromPattern('GET /files/{path+}', '/files/a/b/c')).toEqual({ path: 'a/b/c' });
  });

  it('applies scopes and owner rules to a TOKEN event; fails closed on an unreadable ARN', () => {
    // Prepare
    const policy = resolvePolicy({
      routes: [
        { match: 'DELETE /orders/{id}', require: { scopes: ['orders/write'] } },
        { match: 'ANY /users/{userId}/*', require: { owner: { param: 'userId', claim: 'sub' } } },
      ],
    });
    const token = (method: string, path: string) =>
      restRequest({
        kind: 'rest-token',
        route: '',
        methodArn: `arn:aws:execute-api:eu-west-1:1:abc/prod/${method}${path}`,
      });
    const alice = { ...identity('alice'), claims: { sub: 'alice' } };

    // Act & Assess
    expect(authorizeRequest(policy, token('DELETE', '/orders/7'), alice)).toMatchObject({
      reason: 'insufficient-scope',
    });
    expect(authorizeRequest(policy, token('GET', '/orders/7'), alice)).toEqual({ ok: true });
    expect(authorizeRequest(policy, token('GET', '/users/alice/orders'), alice)).toEqual({ ok: true });
    expect(authorizeRequest(policy, token('GET', '/users/bob/orders'), alice)).toMatchObject({
      reason: 'not-owner',
    });
    expect(
      authorizeRequest(policy, restRequest({ kind: 'rest-token', methodArn: 'garbage' }), alice),
    ).toMatchObject({ ok: false });
  });
});

describe('policy: require', () => {
  const issuesOf = (document: unknown): readonly string[] => {
    try {
      resolvePolicy(document);
    } catch (error) {
      if (isPolicyError(error)) return error.issues;
      throw error;
    }
    return [];
  };

  it('Compliance: the issue example validates, and the first matching route names its requirement', () => {
    // Prepare
    const policy = resolvePolicy({
      routes: [
        { match: 'DELETE /orders/{id}', require: { scopes: ['orders/write', 'orders/admin'] } },
        { match: 'POST /admin/*', require: { allScopes: ['admin', 'write'], groups: ['admins'] } },
        { match: 'ANY /users/{userId}/*', require: { owner: { param: 'userId', claim: 'sub' } } },
      ],
    });

    // Act & Assess
    expect(policy.hasRequirements).toBe(true);
    expect(policy.requirementFor('DELETE /orders/{id}')?.requirement.scopes).toEqual([
      'orders/write',
      'orders/admin',
    ]);
    expect(policy.requirementFor('POST /admin/users')?.pattern).toBe('POST /admin/*');
    expect(policy.requirementFor('GET /orders/{id}')).toBeUndefined();
    expect(resolvePolicy({}).hasRequirements).toBe(false);
  });

  it('Noncompliance: an owner param that is not in the route, an empty require, an unknown key', () => {
    // Act
    const issues = issuesOf({
      routes: [
        { match: 'GET /users/{id}', require: { owner: { param: 'userId', claim: 'sub' } } },
        { match: 'GET /a', require: {} },
      ],
    });
    const typo = issuesOf({ routes: [{ match: 'GET /a', require: { scope: ['x'] } }] });
    const empty = issuesOf({ routes: [{ match: 'GET /a', require: { scopes: [] } }] });

    // Assess
    expect(issues).toEqual([
      'routes[0].require.owner.param: "userId" is not a path parameter of "GET /users/{id}" (use a {userId} segment)',
      'routes[1].require: lists no requirement',
    ]);
    expect(typo[0]).toMatch(/^routes\[0\]\.require/);
    expect(empty[0]).toMatch(/^routes\[0\]\.require\.scopes/);
  });
});
