import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIdentityConfig } from '../../lambdas/identity/config';
import { CountersTable } from '../../lib/constructs/counters-table';
import {
  GatewardenAuthorizer,
  type GatewardenAuthorizerProps,
} from '../../lib/constructs/gatewarden-authorizer';
import { demoStack } from './demo';
import { actionsOf, statementsOfRole, testApp } from './synth';

const JWT = {
  issuer: 'https://idp.example.com/',
  audience: ['api'],
  jwksUri: 'https://idp.example.com/jwks.json',
};

function authorizerStack(
  props: Partial<GatewardenAuthorizerProps> = {},
  context: Record<string, unknown> = {},
) {
  const app = testApp(context);
  const stack = new Stack(app, 'Auth');
  const table = new CountersTable(stack, 'Counters').table;
  const authorizer = new GatewardenAuthorizer(stack, 'Auth', { kind: 'rest', table, jwt: JWT, ...props });
  return { app, stack, authorizer };
}

function writePolicy(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-policy-')), name);
  writeFileSync(path, text);
  return path;
}

const YAML_POLICY = 'mode: enforce # YAML only\nroutes:\n  - match: POST /login\n    access: public\n';

describe('GatewardenAuthorizer', () => {
  let template: Template;

  beforeAll(() => {
    template = demoStack().template;
  });

  it('runs Node 24 on ARM64 with X-Ray tracing, JSON logs and a function-owned log group with retention', () => {
    // Assess
    for (const description of ['Gatewarden REST API REQUEST authorizer', 'Gatewarden HTTP API authorizer']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: description,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 1024,
        Timeout: 5,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: Match.objectLike({
          LogFormat: 'JSON',
          LogGroup: { Ref: Match.stringLikeRegexp('Authorizer') },
        }),
      });
    }
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('gets its configuration from the environment, never a secret', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Gatewarden REST API REQUEST authorizer',
      Environment: {
        Variables: Match.objectEquals({
          JWT_ISSUER: 'https://issuer.example.com/',
          JWKS_URI: 'https://issuer.example.com/.well-known/jwks.json',
          JWT_AUDIENCE: 'gatewarden-demo',
          JWT_ALGORITHMS: 'RS256,ES256',
          TRUSTED_PROXY_COUNT: '0',
          GATEWARDEN_TABLE: { Ref: Match.stringLikeRegexp('CountersTable') },
          GATEWARDEN_MODE: 'shadow',
          POWERTOOLS_SERVICE_NAME: 'gatewarden',
          POWERTOOLS_METRICS_NAMESPACE: 'Gatewarden',
        }),
      },
    });
  });

  it('may read and write the table only: no Scan, no Delete, no wildcard beyond X-Ray', () => {
    // Act
    const statements = statementsOfRole(template, 'GatewardenRestAuthorizerHandlerRole');
    // Assess
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    expect(actionsOf(dynamo[0]!)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(dynamo[0]!.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/CountersTable/), 'Arn'] });
    const wildcard = statements.filter((s) => JSON.stringify(s.Resource) === '"*"');
    expect(wildcard.flatMap(actionsOf)).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    expect(statements.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
  });

  it('uses no managed policies (AWSLambdaBasicExecutionRole would grant logs on every group)', () => {
    // Assess
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        }),
      },
    });
    for (const role of Object.values(roles)) {
      expect((role as { Properties: Record<string, unknown> }).Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('REST: REQUEST authorizer with caching off and no identity source', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: '',
    });
    const methods = template.findResources('AWS::ApiGateway::Method');
    expect(Object.keys(methods)).toHaveLength(4);
    for (const m of Object.values(methods)) {
      expect((m as { Properties: Record<string, unknown> }).Properties).toMatchObject({
        AuthorizationType: 'CUSTOM',
      });
    }
  });

  it('HTTP: payload 2.0 simple responses with caching off and no identity source', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: [],
    });
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    for (const r of Object.values(routes)) {
      expect((r as { Properties: Record<string, unknown> }).Properties).toMatchObject({
        AuthorizationType: 'CUSTOM',
      });
    }
  });

  it('lets API Gateway invoke it only from its own API authorizer', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('RestAuthorizerHandlerFunction'), 'Arn'] },
      SourceArn: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/authorizers/')])],
      }),
    });
  });

  it('validates a YAML policy file at synth and points GATEWARDEN_POLICY at its JSON in the bundle', () => {
    // Prepare
    const policyFile = writePolicy('my-policy.YAML', YAML_POLICY);
    // Act
    const { stack } = authorizerStack({
      policyFile,
      mode: 'enforce',
      trustedProxyCount: 1,
      mtlsAllowedSubjects: ['CN=a,O=b', 'CN=c'],
    });
    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          GATEWARDEN_POLICY: '/var/task/gatewarden-policy.json',
          GATEWARDEN_MODE: 'enforce',
          TRUSTED_PROXY_COUNT: '1',
          MTLS_ALLOWED_SUBJECTS: 'CN=a,O=b;CN=c',
        }),
      },
    });
  });

  it('bundles the policy as JSON, never the YAML it was written in', () => {
    // Prepare
    const policyFile = writePolicy('policy.yml', YAML_POLICY);
    // Act: with bundling on for this one stack (esbuild, under a second)
    const { app, stack } = authorizerStack({ policyFile }, { 'aws:cdk:bundling-stacks': ['**'] });
    // Assess
    const code = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .map((r) => (r as { Properties: { Code?: { S3Key?: string } } }).Properties.Code?.S3Key)
      .find((key) => key !== undefined);
    const bundled = readFileSync(
      join(app.outdir, `asset.${code!.replace(/\.zip$/, '')}`, 'gatewarden-policy.json'),
      'utf8',
    );
    expect(JSON.parse(bundled)).toEqual({
      mode: 'enforce',
      routes: [{ match: 'POST /login', access: 'public' }],
    });
  });

  it('Noncompliance: an invalid or unreadable policyFile fails the synth, naming every bad field', () => {
    // Prepare
    const bad = writePolicy('bad.yaml', 'mode: block\nroutes:\n  - match: GET /a\n    acess: public\n');
    // Act / Assess
    expect(() => authorizerStack({ policyFile: bad })).toThrow(
      /^Auth\/Auth: policyFile: .*bad\.yaml: Invalid policy: mode: Invalid option: expected one of "enforce"\|"shadow"; routes\[0\]: Unrecognized key: "acess"$/,
    );
    expect(() => authorizerStack({ policyFile: writePolicy('broken.json', '{"mode": ') })).toThrow(
      /policyFile: .*broken\.json: not valid JSON or YAML/,
    );
    expect(() => authorizerStack({ policyFile: '/nonexistent/policy.yaml' })).toThrow(
      /policyFile: cannot read policy file "\/nonexistent\/policy\.yaml" \(ENOENT\)/,
    );
  });

  it('Noncompliance 1: HMAC algorithms are refused at synth (no secret in the environment)', () => {
    // Act / Assess
    expect(() => authorizerStack({ jwt: { ...JWT, algorithms: ['HS256'] } })).toThrow(
      /HS256 not supported by this construct/,
    );
  });

  it('Noncompliance 2: bad props are all reported with the construct path', () => {
    // Act / Assess
    expect(() =>
      authorizerStack({
        jwt: { ...JWT, jwksUri: 'http://x', audience: [] },
        trustedProxyCount: 11,
        policyFile: 'p.txt',
      }),
    ).toThrow(
      /^Auth\/Auth: jwt.jwksUri must be an https URL.*jwt.audience or jwt.clientIds must list.*trustedProxyCount must be a whole number from 0 to 10.*policyFile must be/,
    );
  });

  it('Compliance: a Cognito user pool and app clients become COGNITO_USER_POOL_ID and JWT_CLIENT_IDS', () => {
    // Act
    const { stack } = authorizerStack({
      jwt: { cognitoUserPoolId: 'eu-west-1_AbCdEf123', clientIds: ['1example23456789'], tokenUse: 'access' },
    });
    // Assess: no issuer or audience of its own; the function derives them (and Google-style issuers need no https)
    const variables = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const env = Object.values(variables)[0]?.Properties.Environment.Variables;
    expect(env).toMatchObject({
      COGNITO_USER_POOL_ID: 'eu-west-1_AbCdEf123',
      JWT_CLIENT_IDS: '1example23456789',
      JWT_TOKEN_USE: 'access',
    });
    expect(env).not.toHaveProperty('JWT_ISSUER');
    expect(env).not.toHaveProperty('JWT_AUDIENCE');
    expect(() => authorizerStack({ jwt: { ...JWT, issuer: 'accounts.google.com' } })).not.toThrow();
    expect(() => authorizerStack({ jwt: { ...JWT, cognitoUserPoolId: 'eu-west-1_AbCdEf123' } })).toThrow(
      /Either provide jwt.cognitoUserPoolId or jwt.issuer and jwt.jwksUri, but not both/,
    );
  });

  it('Compliance: several issuers become JWT_ISSUERS, which the authorizer reads back as its issuers', () => {
    // Prepare: Google writes either of two `iss` values (Google Identity, "Validate an ID token"), one key set
    const google = 'https://www.googleapis.com/oauth2/v3/certs';
    const issuers = [
      { issuer: 'https://accounts.google.com', jwksUri: google },
      { issuer: 'accounts.google.com', jwksUri: google },
    ];
    // Act
    const { stack } = authorizerStack({
      jwt: { issuers, clientIds: ['1234.apps.googleusercontent.com'], tokenUse: 'id' },
    });
    // Assess
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const env = Object.values(functions)[0]?.Properties.Environment.Variables as Record<string, string>;
    expect(env).not.toHaveProperty('JWT_ISSUER');
    expect(env).not.toHaveProperty('JWKS_URI');
    const read = loadIdentityConfig({ ...env, AWS_REGION: 'us-east-1' });
    expect(read.issuers.map((i) => [i.issuer, i.jwksUri, i.clientIds, i.tokenUse])).toEqual([
      ['https://accounts.google.com', google, ['1234.apps.googleusercontent.com'], 'id'],
      ['accounts.google.com', google, ['1234.apps.googleusercontent.com'], 'id'],
    ]);
  });

  it('Noncompliance: issuers beside an issuer, repeated, or with a non-https key set fail synth', () => {
    // Prepare
    const entry = { issuer: 'https://a.example/', jwksUri: 'https://a.example/keys' };
    // Act / Assess
    expect(() => authorizerStack({ jwt: { ...JWT, issuers: [entry] } })).toThrow(/jwt.issuers or jwt.issuer/);
    expect(() => authorizerStack({ jwt: { audience: ['api'], issuers: [entry, entry] } })).toThrow(
      /jwt.issuers lists https:\/\/a.example\/ twice/,
    );
    expect(() =>
      authorizerStack({
        jwt: { audience: ['api'], issuers: [{ ...entry, jwksUri: 'http://a.example/keys' }] },
      }),
    ).toThrow(/jwt.issuers\[0\].jwksUri: jwksUri must use https/);
    expect(() => authorizerStack({ jwt: { issuers: [entry] } })).toThrow(/jwt.audience or jwt.clientIds/);
    expect(() => authorizerStack({ jwt: { issuers: [{ ...entry, audiences: ['api'] }] } })).not.toThrow();
  });

  it('Noncompliance 3: asking a REST authorizer for an HTTP API authorizer fails', () => {
    // Prepare
    const { authorizer } = authorizerStack();
    // Act / Assess
    expect(() => authorizer.httpAuthorizer()).toThrow(/needs kind "http"/);
  });

  it('Compliance: an authorizer in one Region of a global table gets the table Regions', () => {
    // Prepare
    const app = testApp();
    const stack = new Stack(app, 'EuAuth', { env: { region: 'eu-west-1' } });
    const table = new CountersTable(stack, 'Counters').table;
    // Act
    new GatewardenAuthorizer(stack, 'Auth', {
      kind: 'http',
      table,
      jwt: JWT,
      tableRegions: ['us-east-1', 'eu-west-1'],
    });
    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ GATEWARDEN_REGIONS: 'us-east-1,eu-west-1' }) },
    });
  });

  it("Noncompliance 4: tableRegions that leave out the stack's Region, or a stack without one, fail at synth", () => {
    // Prepare
    const app = testApp();
    const eu = new Stack(app, 'Eu', { env: { region: 'eu-west-1' } });
    const agnostic = new Stack(app, 'Agnostic');
    const jwt = JWT;
    // Act / Assess
    expect(
      () =>
        new GatewardenAuthorizer(eu, 'Auth', {
          kind: 'rest',
          table: new CountersTable(eu, 'Counters').table,
          jwt,
          tableRegions: ['us-east-1', 'us-west-2'],
        }),
    ).toThrow(/tableRegions \(us-east-1, us-west-2\) must include the stack's Region \(eu-west-1\)/);
    expect(
      () =>
        new GatewardenAuthorizer(agnostic, 'Auth', {
          kind: 'rest',
          table: new CountersTable(agnostic, 'Counters').table,
          jwt,
          tableRegions: ['us-east-1', 'us-west-2'],
        }),
    ).toThrow(/tableRegions needs a stack with an explicit Region/);
  });
});
