import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTokenReport, inspectPolicy, inspectToken } from '../../../lib/cli/token-inspect';
import { startTokenIssuer, type TokenIssuer } from '../../../lib/local/token-issuer';
import { writePolicyFile } from '../../helpers/policy-file';

let issuer: TokenIssuer;

beforeAll(async () => {
  issuer = await startTokenIssuer();
});

afterAll(async () => {
  await issuer.close();
});

const POLICY = {
  routes: [
    { match: 'DELETE /orders/{id}', require: { scopes: ['orders/write', 'orders/admin'] } },
    { match: 'ANY /users/{userId}/*', require: { owner: { param: 'userId', claim: 'sub' } } },
    { match: 'GET /health', access: 'public' },
  ],
};

describe('gatewarden token inspect', () => {
  it('shows identity, verification and every route with a require, never the token', async () => {
    // Prepare
    const token = await issuer.sign({
      sub: 'alice',
      scope: 'orders/read',
      client_id: 'web',
      'cognito:groups': ['staff'],
    });
    const { policy, routes } = inspectPolicy(writePolicyFile(POLICY));

    // Act
    const report = await inspectToken(`Bearer ${token}`, { policy, routes, env: issuer.env() });
    const text = formatTokenReport(report);

    // Assess
    expect(routes).toEqual(['DELETE /orders/{id}', 'ANY /users/{userId}/*']);
    expect(report).toMatchObject({
      subject: 'alice',
      clientId: 'web',
      groups: ['staff'],
      scopes: ['orders/read'],
    });
    expect(report.verification).toBe('verified: the authorizer would accept it');
    expect(report.routes).toEqual([
      { route: 'DELETE /orders/{id}', answer: '403 insufficient-scope (needs one of 2 scopes)' },
      { route: 'ANY /users/{userId}/*', answer: 'allow only where {userId} is "alice", else 403 not-owner' },
    ]);
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split('.')[2]);
  });

  it('names the refusal reason the authorizer would log, and answers one --route', async () => {
    // Prepare
    const token = await issuer.sign({ aud: 'someone-else', scope: 'orders/admin' });

    // Act
    const report = await inspectToken(token, {
      policy: inspectPolicy(writePolicyFile(POLICY)).policy,
      routes: ['DELETE /orders/{id}'],
      env: issuer.env(),
    });

    // Assess
    expect(report.verification).toBe('refused (401): claims-invalid: audience not accepted');
    expect(report.routes).toEqual([{ route: 'DELETE /orders/{id}', answer: 'allow (DELETE /orders/{id})' }]);
  });
});
