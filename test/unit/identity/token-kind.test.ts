import { describe, expect, it } from 'vitest';
import { groupsOf, tokenKind } from '../../../lambdas/identity/jwt-verifier';
import type { JsonObject } from '../../../lambdas/identity/strict-json';

const obj = (value: Record<string, unknown>) => value as unknown as JsonObject;

describe('tokenKind', () => {
  it.each([
    [{}, { token_use: 'access' }, 'access'],
    [{}, { token_use: 'id' }, 'id'],
    [{}, { token_use: 'refresh' }, 'conflict'],
    [{ typ: 'at+jwt' }, {}, 'access'],
    [{ typ: 'application/at+JWT' }, {}, 'access'],
    // RFC 9068 says access token; Cognito's claim says ID token: the token contradicts itself.
    [{ typ: 'at+jwt' }, { token_use: 'id' }, 'conflict'],
    [{ typ: 'JWT' }, { typ: 'Bearer' }, 'access'],
    [{ typ: 'JWT' }, { typ: 'ID' }, 'id'],
    [{ typ: 'JWT' }, {}, undefined],
  ])('header %j, claims %j → %s', (header, claims, expected) => {
    // Act & Assess
    expect(tokenKind(obj(header), obj(claims))).toBe(expected);
  });
});

describe('groupsOf', () => {
  it('takes the first present default claim, in the documented order', () => {
    // Act & Assess
    expect(groupsOf(obj({ groups: ['g'], 'cognito:groups': ['c'] }), undefined)).toEqual(['c']);
    expect(groupsOf(obj({ roles: ['r'], permissions: ['p'] }), undefined)).toEqual(['r']);
    expect(groupsOf(obj({ permissions: ['read:orders'] }), undefined)).toEqual(['read:orders']);
    expect(groupsOf(obj({ realm_access: { roles: ['admin'] } }), undefined)).toEqual(['admin']);
    expect(groupsOf(obj({}), undefined)).toEqual([]);
  });

  it('reads JWT_GROUPS_CLAIM by name or dotted path, strings only, bounded', () => {
    // Prepare
    const claims = obj({
      'https://example.com/roles': ['a', 7, '', 'b'],
      resource_access: { orders: { roles: ['writer'] } },
      many: Array.from({ length: 1500 }, (_, i) => `g${i}`),
    });

    // Act & Assess
    expect(groupsOf(claims, 'https://example.com/roles')).toEqual(['a', 'b']);
    expect(groupsOf(claims, 'resource_access.orders.roles')).toEqual(['writer']);
    expect(groupsOf(claims, 'many')).toHaveLength(1000);
    expect(groupsOf(claims, 'missing')).toEqual([]);
  });
});
