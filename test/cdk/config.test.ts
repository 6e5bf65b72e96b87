import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, isConfigError, readConfig } from '../../lib/config';

const ATTACH = {
  issuer: 'https://idp.example.com/',
  audience: 'orders-api,admin-api',
  jwksUri: 'https://idp.example.com/.well-known/jwks.json',
  restApiId: 'abcde12345',
  restApiStage: 'prod',
  restApiMethods: 'a1b2c3:GET,d4e5f6:post',
};

function read(context: Record<string, unknown>, env: Record<string, string> = {}) {
  return readConfig((key) => context[key], env, '/tmp');
}

function problemsOf(context: Record<string, unknown>, env: Record<string, string> = {}): readonly string[] {
  try {
    read(context, env);
  } catch (error) {
    if (isConfigError(error)) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('readConfig', () => {
  it('Compliance 1: no context gives the demo with placeholders, shadow mode and safe defaults', () => {
    // Act
    const config = read({});
    // Assess
    expect(config.target).toBe('demo');
    expect(config.stackName).toBe('Gatewarden');
    expect(config.usingDemoIssuer).toBe(true);
    expect(config.mode).toBe('shadow');
    expect(config.kmsKey).toEqual({ kind: 'aws-managed' });
    expect(config.managedRules).toBe(true);
    expect(config.trustedProxyCount).toBe(0);
    expect(config.logRetentionDays).toBe(30);
    expect(config.jwt.algorithms).toEqual(['RS256', 'ES256']);
  });

  it('Compliance 2: an existing REST API switches to the attach stack and parses methods', () => {
    // Act
    const config = read(ATTACH);
    // Assess
    expect(config.target).toBe('attach');
    expect(config.stackName).toBe('GatewardenAttach');
    expect(config.jwt.audience).toEqual(['orders-api', 'admin-api']);
    expect(config.restApi).toEqual({
      id: 'abcde12345',
      stage: 'prod',
      methods: [
        { resourceId: 'a1b2c3', httpMethod: 'GET' },
        { resourceId: 'd4e5f6', httpMethod: 'POST' },
      ],
    });
  });

  it('Compliance 3: cdk.json JSON types (numbers, booleans, lists) are accepted as well as CLI strings', () => {
    // Act
    const config = read({ ...ATTACH, audience: ['a', 'b'], trustedProxyCount: 2, managedRules: false });
    // Assess
    expect(config.jwt.audience).toEqual(['a', 'b']);
    expect(config.trustedProxyCount).toBe(2);
    expect(config.managedRules).toBe(false);
  });

  it('Compliance 4: a relative policy file is resolved and must exist', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'gw-policy-'));
    writeFileSync(join(dir, 'policy.yaml'), 'version: 1\n');
    // Act
    const config = readConfig((key) => ({ policyFile: 'policy.yaml' })[key as 'policyFile'], {}, dir);
    // Assess
    expect(config.policyFile).toBe(join(dir, 'policy.yaml'));
  });

  it('Noncompliance 1: attaching without JWT settings names each missing key', () => {
    // Act
    const problems = problemsOf({
      restApiId: 'abcde12345',
      restApiStage: 'prod',
      restApiMethods: 'a1b2c3:GET',
    });
    // Assess
    expect(problems.some((p) => p.startsWith('issuer: required'))).toBe(true);
    expect(problems.some((p) => p.startsWith('audience: required'))).toBe(true);
    expect(problems.some((p) => p.startsWith('jwksUri: required'))).toBe(true);
  });

  it('Noncompliance 2: every problem is reported at once, each naming its context key', () => {
    // Act
    const problems = problemsOf({
      ...ATTACH,
      mode: 'block',
      jwtAlgorithms: 'HS256,RS256',
      trustedProxyCount: '-1',
      logRetentionDays: '12',
      kmsKey: 'mine',
      alarmEmail: 'not-an-email',
      restApiMethods: 'a1b2c3:FETCH',
    });
    // Assess
    const keys = problems.map((p) => p.split(':')[0]);
    expect(keys).toEqual(
      expect.arrayContaining([
        'mode',
        'jwtAlgorithms',
        'trustedProxyCount',
        'logRetentionDays',
        'kmsKey',
        'alarmEmail',
        'restApiMethods',
      ]),
    );
    expect(problems.find((p) => p.startsWith('jwtAlgorithms'))).toMatch(/HS256 is not supported/);
  });

  it('Noncompliance 3: a non-https JWKS URI is refused; an issuer need not be a URL (Google)', () => {
    // Act
    const problems = problemsOf({ ...ATTACH, issuer: 'accounts.google.com', jwksUri: 'ftp://x' });
    const google = read({ ...ATTACH, issuer: 'accounts.google.com' });
    // Assess
    expect(problems).toEqual([expect.stringMatching(/^jwksUri: /)]);
    expect(google.jwt.issuer).toBe('accounts.google.com');
  });

  it('Compliance: -c cognitoUserPoolId and -c cognitoClientIds stand in for issuer, jwksUri and audience', () => {
    // Act
    const config = read({
      restApiId: 'abcde12345',
      restApiStage: 'prod',
      restApiMethods: 'a1b2c3:GET',
      cognitoUserPoolId: 'eu-west-1_AbCdEf123',
      cognitoClientIds: '1example23456789,2example23456789',
    });
    // Assess
    expect(config.jwt).toMatchObject({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
      jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json',
      cognitoUserPoolId: 'eu-west-1_AbCdEf123',
      clientIds: ['1example23456789', '2example23456789'],
      audience: [],
    });
    expect(config.usingDemoIssuer).toBe(false);
  });

  it('Compliance: -c issuers takes a JSON list of issuers in place of issuer and jwksUri; -c clientIds names the clients', () => {
    // Prepare: a multi-tenant Entra app lists each tenant's exact issuers (Microsoft identity platform, "Access tokens")
    const issuers = [
      {
        issuer: 'https://login.microsoftonline.com/t1/v2.0',
        jwksUri: 'https://login.microsoftonline.com/t1/discovery/v2.0/keys',
      },
      {
        issuer: 'https://sts.windows.net/t1/',
        jwksUri: 'https://login.microsoftonline.com/t1/discovery/v2.0/keys',
      },
    ];
    // Act
    const fromCli = read({
      ...ATTACH,
      issuer: undefined,
      jwksUri: undefined,
      issuers: JSON.stringify(issuers),
      clientIds: 'web-app',
    });
    const fromJson = read({ ...ATTACH, issuer: undefined, jwksUri: undefined, issuers });
    // Assess
    expect(fromCli.jwt.issuers).toEqual(issuers);
    expect(fromCli.jwt.clientIds).toEqual(['web-app']);
    expect(fromJson.jwt.issuers).toEqual(issuers);
    expect(fromCli.usingDemoIssuer).toBe(false);
  });

  it('Noncompliance: -c issuers that is not JSON, beside an issuer, on http, or clientIds given twice', () => {
    // Act
    const notJson = problemsOf({ ...ATTACH, issuer: undefined, jwksUri: undefined, issuers: '[{issuer:' });
    const beside = problemsOf({ ...ATTACH, issuers: '[{"issuer":"a","jwksUri":"https://a.example/k"}]' });
    const http = problemsOf({
      ...ATTACH,
      issuer: undefined,
      jwksUri: undefined,
      issuers: '[{"issuer":"a","jwksUri":"http://a.example/k"}]',
    });
    const typo = problemsOf({
      ...ATTACH,
      issuer: undefined,
      jwksUri: undefined,
      issuers: '[{"issuer":"a","jwksUri":"https://a.example/k","audience":["x"]}]',
    });
    const twice = problemsOf({ ...ATTACH, clientIds: 'a', cognitoClientIds: 'b' });
    // Assess
    expect(notJson).toEqual([expect.stringMatching(/^issuers: is not JSON/)]);
    expect(beside).toEqual([expect.stringMatching(/^issuers: give either issuers or issuer/)]);
    expect(http).toEqual(
      expect.arrayContaining([expect.stringMatching(/^issuers(\[0\]\.jwksUri|\[0\]).*(https)/)]),
    );
    expect(typo).toEqual([expect.stringMatching(/^issuers\[0\]/)]);
    expect(twice).toEqual([expect.stringMatching(/^clientIds: give clientIds or cognitoClientIds/)]);
  });

  it('Noncompliance: a malformed user pool id, or one given with an issuer, is refused', () => {
    // Act
    const malformed = problemsOf({
      ...ATTACH,
      issuer: undefined,
      jwksUri: undefined,
      cognitoUserPoolId: 'pool',
    });
    const both = problemsOf({ ...ATTACH, cognitoUserPoolId: 'eu-west-1_AbCdEf123' });
    // Assess
    expect(malformed).toEqual(
      expect.arrayContaining([expect.stringMatching(/^cognitoUserPoolId: "pool" is not/)]),
    );
    expect(both).toEqual([expect.stringMatching(/not both/)]);
  });

  it('Noncompliance 4: replicas need a Region, and with a CMK a key per replica Region', () => {
    // Act
    const noRegion = problemsOf({ replicaRegions: 'us-west-2' });
    const noKeys = problemsOf(
      { replicaRegions: 'us-west-2,eu-west-1', kmsKey: 'create' },
      { CDK_DEFAULT_REGION: 'us-east-1' },
    );
    // Assess
    expect(noRegion).toEqual([expect.stringMatching(/^replicaRegions: needs an explicit stack Region/)]);
    expect(noKeys).toEqual([expect.stringMatching(/^replicaKeyArns: .*missing: us-west-2, eu-west-1/)]);
  });

  it('Noncompliance 4b: a customer-managed key needs an explicit Region', () => {
    // Act / Assess
    expect(problemsOf({ kmsKey: 'create' })).toEqual([
      expect.stringMatching(/^kmsKey: a customer-managed table key needs an explicit stack Region/),
    ]);
  });

  it('Noncompliance 5: settings for an API that is not given are refused (typo guard)', () => {
    // Act
    const problems = problemsOf({ restApiStage: 'prod', httpApiRoutes: 'abc' });
    // Assess
    expect(problems).toEqual([
      'restApiStage: given without restApiId',
      'httpApiRoutes: given without httpApiId',
    ]);
  });

  it('Noncompliance 6: a custom domain needs a certificate, and mTLS a valid S3 URI', () => {
    // Act
    const problems = problemsOf({ domainName: 'api.example.com', mtlsTruststoreUri: 'https://bucket/key' });
    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^certificateArn: required/),
        expect.stringMatching(/^mtlsTruststoreUri: /),
      ]),
    );
  });

  it('documents every key it reads', () => {
    // Assess: the README table is written from this list
    expect(Object.keys(CONTEXT_KEYS)).toEqual(
      expect.arrayContaining([
        'issuer',
        'audience',
        'jwksUri',
        'cognitoUserPoolId',
        'cognitoClientIds',
        'mode',
        'policyFile',
        'alarmEmail',
        'restApiId',
        'httpApiId',
        'kmsKey',
      ]),
    );
  });
});
