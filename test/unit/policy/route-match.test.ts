import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '../../../lambdas/policy/policy';
import { compileRoute, routeMatches } from '../../../lambdas/policy/route-match';
import { parsePolicyText } from '../../../lib/policy-file';

const m = (pattern: string, route: string) => routeMatches(compileRoute(pattern), route);

describe('route matching', () => {
  it('matches templates, parameters, wildcards and methods', () => {
    expect(m('GET /pets/{id}', 'GET /pets/{id}')).toBe(true);
    expect(m('GET /pets/*', 'GET /pets/{petId}')).toBe(true);
    expect(m('ANY /pets/{id}', 'DELETE /pets/{id}')).toBe(true);
    expect(m('/pets/{id}', 'PUT /pets/{id}')).toBe(true);
    expect(m('POST /pets/{id}', 'GET /pets/{id}')).toBe(false);
    expect(m('GET /pets', 'GET /pets/{id}')).toBe(false);
    expect(m('GET /admin/*', 'GET /admin/users/{id}')).toBe(true);
    expect(m('GET /admin/{proxy+}', 'GET /admin/users/{id}')).toBe(true);
    expect(m('GET /admin/*', 'GET /admin')).toBe(false);
    expect(m('$default', '$default')).toBe(true);
    expect(m('$default', 'GET /x')).toBe(false);
  });

  it('first match wins', () => {
    const p = resolvePolicy({
      routes: [
        { match: 'POST /login', access: 'public', failMode: 'closed' },
        { match: 'ANY /*', access: 'protected' },
      ],
    });
    expect(p.settingsFor('POST /login').access).toBe('public');
    expect(p.settingsFor('POST /login').failMode).toBe('closed');
    expect(p.settingsFor('GET /orders/{id}').access).toBe('protected');
  });

  it('reads YAML as well as JSON', () => {
    const doc = parsePolicyText('mode: shadow\nroutes:\n  - match: POST /login\n    access: public\n');
    expect(resolvePolicy(doc).mode).toBe('shadow');
  });
});
