import type { AuthorizerRequest, AuthResult, Identity } from '../../lambdas/authorizer/types';
import { tokenHash } from '../../lambdas/shared/token-hash';

/** A normalised REST request as the event parser would produce it (tests of the engine start here). */
export function restRequest(
  overrides: Partial<AuthorizerRequest> & { ip?: string; at?: number } = {},
): AuthorizerRequest {
  const { ip, at, ...rest } = overrides;
  const method = rest.method ?? 'GET';
  const resource = '/items/{id}';
  return {
    kind: 'rest-request',
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:api1234567/prod/${method}/items/1`,
    method,
    route: `${method} ${resource}`,
    path: '/items/1',
    headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)', accept: '*/*', 'accept-language': 'en' },
    query: {},
    pathParameters: { id: '1' },
    clientIp: ip ?? '198.51.100.7',
    timeMs: at ?? Date.now(),
    requestId: `req-${Math.random().toString(36).slice(2)}`,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    clientCert: undefined,
    rawToken: undefined,
    ...rest,
  };
}

export function identity(subject: string, token = `tok-${subject}`): Identity {
  return {
    subject,
    tokenHash: tokenHash(token),
    scope: 'read',
    clientId: undefined,
    issuedAt: undefined,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  };
}

export const authed = (subject: string, token?: string): AuthResult => ({
  status: 'authenticated',
  identity: identity(subject, token),
});
export const anonymous: AuthResult = { status: 'anonymous' };
export const failed: AuthResult = { status: 'failed', reason: 'invalid-signature', detail: 'test' };
