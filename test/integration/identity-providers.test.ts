import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpHandler, createRestHandler } from '../../lambdas/authorizer/handler-factory';
import { lambdaContext } from '../helpers/fixtures';
import { httpEvent, restRequestEvent, restTokenEvent } from '../helpers/gateway-events';
import {
  auth0,
  cognito,
  entra,
  google,
  keycloak,
  oktaCustom,
  oktaOrg,
  type Provider,
} from '../helpers/identity-providers';
import { type JwksServer, startJwksServer } from '../helpers/provider-jwks';
import { createTestTable } from '../helpers/table';

/**
 * Tokens shaped like each identity provider's, signed with generated keys and served from JWKS documents shaped like
 * theirs (loopback), through the real REST (REQUEST and TOKEN) and HTTP handlers with the risk engine on DynamoDB
 * Local, configured as the README's section for that provider says. Right tokens are allowed; the wrong token use,
 * client, issuer or audience is refused (401) with the reason the log line names.
 */

let server: JwksServer;
let table: string;

beforeAll(async () => {
  server = await startJwksServer();
  table = await createTestTable('idp');
});

afterAll(async () => {
  await server.close();
});

type Outcome = 'allow' | 'deny' | `401 ${string}`;

// Each provider's requests from their own /64 (documentation range), allowed cases before refused ones: these tests
// are about identity, and a run of fresh tokens, refusals or one subject from many networks is exactly what the
// one-shot, invalid-auth and token-sharing signals exist to deny.
let network = 0;
const freshIp = (): string => `2001:db8:${(++network).toString(16)}::1`;

/** Runs one event through a handler and says what the caller got; a 401 names the logged reason and detail. */
async function outcome(
  handler: (event: unknown, context: never) => Promise<unknown>,
  event: unknown,
): Promise<{ outcome: Outcome; context?: Record<string, unknown> }> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
  try {
    const result = (await handler(event, lambdaContext() as never)) as {
      isAuthorized?: boolean;
      policyDocument?: { Statement: { Effect: string }[] };
      context?: Record<string, unknown>;
    };
    const allowed = result.isAuthorized ?? result.policyDocument?.Statement[0]?.Effect === 'Allow';
    return { outcome: allowed ? 'allow' : 'deny', context: result.context };
  } catch (error) {
    expect((error as Error).message).toBe('Unauthorized');
    const refusal = lines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => typeof line.detail === 'string' && line.effect === 'unauthorized');
    return { outcome: `401 ${String(refusal?.reason)}: ${String(refusal?.detail)}` };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

interface Case {
  readonly token: string;
  /** 'allow', or the 401 reason and detail the log names. */
  readonly expected: 'allow' | RegExp;
}

function providerSuite(make: (server: JwksServer) => Provider, cases: readonly Case[]) {
  let provider: Provider;
  let rest: ReturnType<typeof createRestHandler>;
  let http: ReturnType<typeof createHttpHandler>;
  const ip = freshIp();
  beforeAll(() => {
    provider = make(server);
    const env = { ...provider.env, GATEWARDEN_TABLE: table, GATEWARDEN_STORE_TIMEOUT_MS: '5000' };
    const logger = new Logger({ serviceName: 'gatewarden-idp-test', logLevel: 'INFO' });
    rest = createRestHandler({ env, logger });
    http = createHttpHandler({ env, logger });
  });

  it.each(cases)(
    '$token → $expected (REST REQUEST, REST TOKEN, HTTP; Bearer and bare)',
    async ({ token, expected }) => {
      // Prepare
      const jwt = provider.tokens[token]!();
      const runs = [
        () => outcome(rest as never, restRequestEvent({ authorization: `Bearer ${jwt}`, sourceIp: ip })),
        () => outcome(rest as never, restTokenEvent({ authorization: `Bearer ${jwt}`, sourceIp: ip })),
        () => outcome(http as never, httpEvent({ authorization: `Bearer ${jwt}`, sourceIp: ip })),
        // API Gateway's JWT authorizer takes the token without a scheme too.
        () => outcome(rest as never, restRequestEvent({ authorization: jwt, sourceIp: ip })),
        () => outcome(http as never, httpEvent({ authorization: jwt, sourceIp: ip })),
      ];

      // Act
      const results = [];
      for (const run of runs) results.push((await run()).outcome);

      // Assess
      for (const result of results) {
        if (expected === 'allow') expect(result).toBe('allow');
        else expect(result).toMatch(expected);
      }
    },
  );
}

describe('Amazon Cognito (COGNITO_USER_POOL_ID + JWT_CLIENT_IDS)', () => {
  providerSuite(cognito, [
    { token: 'userAccess', expected: 'allow' },
    { token: 'clientCredentials', expected: 'allow' },
    { token: 'idToken', expected: /^401 wrong-token-use: id token where access tokens are expected/ },
    { token: 'otherClientAccess', expected: /^401 claims-invalid: audience not accepted/ },
    { token: 'otherPoolAccess', expected: /^401 claims-invalid: issuer not accepted/ },
  ]);
});

describe('Amazon Cognito ID tokens (JWT_TOKEN_USE=id)', () => {
  providerSuite(
    (s) => {
      const p = cognito(s);
      return { ...p, env: { ...p.env, JWT_TOKEN_USE: 'id' } };
    },
    [
      { token: 'idToken', expected: 'allow' },
      { token: 'userAccess', expected: /^401 wrong-token-use: access token where id tokens are expected/ },
    ],
  );
});

describe('Auth0 (JWT_ISSUER + JWT_AUDIENCE = the API identifier)', () => {
  providerSuite(auth0, [
    { token: 'userAccess', expected: 'allow' },
    { token: 'rfc9068Access', expected: 'allow' },
    { token: 'clientCredentials', expected: 'allow' },
    { token: 'idToken', expected: /^401 claims-invalid: audience not accepted/ },
    { token: 'otherApiAccess', expected: /^401 claims-invalid: audience not accepted/ },
  ]);
});

describe('Okta custom authorization server (JWT_AUDIENCE=api://default, JWT_CLIENT_IDS)', () => {
  providerSuite(oktaCustom, [
    { token: 'userAccess', expected: 'allow' },
    { token: 'clientCredentials', expected: 'allow' },
    { token: 'otherClientAccess', expected: /^401 claims-invalid: client not accepted/ },
    { token: 'orgIssuerAccess', expected: /^401 claims-invalid: issuer not accepted/ },
  ]);
});

describe('Okta org authorization server (ID tokens, JWT_CLIENT_IDS)', () => {
  providerSuite(oktaOrg, [
    { token: 'idToken', expected: 'allow' },
    { token: 'orgAccess', expected: /^401 claims-invalid: audience not accepted/ },
    { token: 'otherAppIdToken', expected: /^401 claims-invalid: audience not accepted/ },
  ]);
});

describe('Microsoft Entra ID v1 and v2, two tenants (JWT_ISSUERS)', () => {
  providerSuite(entra, [
    { token: 'v2Access', expected: 'allow' },
    { token: 'v1Access', expected: 'allow' },
    { token: 'v2OtherTenant', expected: 'allow' },
    { token: 'v2AppOnly', expected: 'allow' },
    { token: 'v2ManyGroups', expected: 'allow' },
    { token: 'v2OtherClient', expected: /^401 claims-invalid: client not accepted/ },
    { token: 'v2UnknownTenant', expected: /^401 claims-invalid: issuer not accepted/ },
    { token: 'v2GraphAudience', expected: /^401 claims-invalid: audience not accepted/ },
  ]);
});

describe('Google (both issuer values, JWT_CLIENT_IDS)', () => {
  providerSuite(google, [
    { token: 'httpsIssuer', expected: 'allow' },
    { token: 'bareIssuer', expected: 'allow' },
    { token: 'otherClient', expected: /^401 claims-invalid: audience not accepted/ },
    { token: 'lookalikeIssuer', expected: /^401 claims-invalid: issuer not accepted/ },
  ]);
});

describe('Keycloak (realm issuer, audience mapper, JWT_CLIENT_IDS)', () => {
  providerSuite(keycloak, [
    { token: 'access', expected: 'allow' },
    { token: 'idToken', expected: /^401 wrong-token-use: id token where access tokens are expected/ },
    { token: 'accountOnly', expected: /^401 claims-invalid: audience not accepted/ },
  ]);
});

describe('what reaches the backend', () => {
  it('Entra: 150 group ids (over 9 KB) fit the default JWT_MAX_BYTES; the context carries bounded groups and the client id', async () => {
    // Prepare
    const provider = entra(server);
    const env = { ...provider.env, GATEWARDEN_TABLE: table, GATEWARDEN_STORE_TIMEOUT_MS: '5000' };
    const handler = createHttpHandler({ env });
    const token = provider.tokens.v2ManyGroups!();

    // Act
    const result = await outcome(
      handler as never,
      httpEvent({ authorization: `Bearer ${token}`, sourceIp: freshIp() }),
    );

    // Assess
    expect(Buffer.byteLength(token)).toBeGreaterThan(9000);
    expect(result.outcome).toBe('allow');
    expect(result.context).toMatchObject({ clientId: expect.any(String), groupsTruncated: true });
    expect(String(result.context?.groups).length).toBeLessThanOrEqual(1024);
  });

  it('Cognito and Keycloak: cognito:groups and realm_access.roles become the groups context', async () => {
    // Prepare
    const c = cognito(server);
    const k = keycloak(server);
    const env = (p: Provider) => ({ ...p.env, GATEWARDEN_TABLE: table, GATEWARDEN_STORE_TIMEOUT_MS: '5000' });

    // Act
    const fromCognito = await outcome(
      createRestHandler({ env: env(c) }) as never,
      restTokenEvent({ authorization: `Bearer ${c.tokens.userAccess!()}` }),
    );
    const fromKeycloak = await outcome(
      createHttpHandler({ env: env(k) }) as never,
      httpEvent({ authorization: `Bearer ${k.tokens.access!()}`, sourceIp: freshIp() }),
    );

    // Assess
    expect(fromCognito.context).toMatchObject({ groups: 'admins,staff', clientId: expect.any(String) });
    expect(fromKeycloak.context).toMatchObject({
      groups: 'offline_access,order-admin',
      clientId: 'orders-web',
    });
  });
});
