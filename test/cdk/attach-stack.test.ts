import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttachStack } from '../../lib/stacks/attach-stack';
import { actionsOf, configFrom, statementsOfRole, templateOf, testApp } from './synth';

const CONTEXT = {
  issuer: 'https://idp.example.com/',
  audience: 'api',
  jwksUri: 'https://idp.example.com/jwks.json',
  restApiId: 'abcde12345',
  restApiStage: 'prod',
  restApiMethods: 'a1b2c3:GET,d4e5f6:POST',
  httpApiId: 'zyxwv98765',
  httpApiRoutes: 'r1a2b3c',
};

type Resource = { Properties: Record<string, any>; DependsOn?: string[] };

/** The SDK calls of the AwsCustomResources, by logical id prefix. */
function sdkCalls(template: Template): Record<string, { create?: any; update?: any; delete?: any }> {
  return Object.fromEntries(
    Object.entries(template.findResources('Custom::AWS')).map(([id, r]) => {
      const p = (r as Resource).Properties;
      // Tokens (Refs) sit inside JSON strings, so a placeholder without quotes keeps the JSON valid.
      const parse = (v: unknown) => {
        if (v === undefined) return undefined;
        const text =
          typeof v === 'string'
            ? v
            : ((v as any)['Fn::Join'][1] as unknown[])
                .map((x) => (typeof x === 'string' ? x : 'TOKEN'))
                .join('');
        return JSON.parse(text);
      };
      return [id, { create: parse(p.Create), update: parse(p.Update), delete: parse(p.Delete) }];
    }),
  );
}

describe('AttachStack', () => {
  let template: Template;

  beforeAll(() => {
    template = templateOf(new AttachStack(testApp(), 'Attach', { config: configFrom(CONTEXT) }));
  });

  it('creates the authorizers on the existing APIs with caching off', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      RestApiId: 'abcde12345',
      Type: 'REQUEST',
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: Match.absent(),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      ApiId: 'zyxwv98765',
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it('lets each API invoke its authorizer function', () => {
    // Assess
    for (const apiId of ['abcde12345', 'zyxwv98765']) {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'apigateway.amazonaws.com',
        SourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`:${apiId}/authorizers/`)])] },
      });
    }
  });

  it('turns on the JSON access log, attaches the methods and routes, and redeploys', () => {
    // Act
    const calls = Object.values(sdkCalls(template));
    const actions = calls
      .map((c) => `${c.create?.service ?? '-'}.${c.create?.action ?? '-'}/${c.delete?.action ?? '-'}`)
      .sort();
    // Assess
    expect(actions).toEqual(
      [
        '-.-/createDeployment', // REST detach redeploy (on delete only)
        '-.-/createDeployment', // HTTP detach redeploy
        'APIGateway.createDeployment/-',
        'APIGateway.updateMethod/updateMethod',
        'APIGateway.updateMethod/updateMethod',
        'APIGateway.updateStage/-',
        'ApiGatewayV2.createDeployment/-',
        'ApiGatewayV2.updateRoute/updateRoute',
        'ApiGatewayV2.updateStage/-',
      ].sort(),
    );
    const method = calls.find((c) => c.create?.action === 'updateMethod')!;
    expect(method.create.parameters.patchOperations[0]).toEqual({
      op: 'replace',
      path: '/authorizationType',
      value: 'CUSTOM',
    });
    expect(method.delete.parameters.patchOperations).toEqual([
      { op: 'replace', path: '/authorizationType', value: 'NONE' },
    ]);
  });

  it('gives the attach role API Gateway rights on the named API paths only', () => {
    // Act
    const statements = statementsOfRole(template, 'AttachRole');
    // Assess
    const apigw = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('apigateway:')));
    expect(apigw.flatMap(actionsOf).sort()).toEqual([
      'apigateway:PATCH',
      'apigateway:PATCH',
      'apigateway:PATCH',
      'apigateway:PATCH',
      'apigateway:PATCH',
      'apigateway:POST',
      'apigateway:POST',
    ]);
    for (const s of apigw)
      expect(JSON.stringify(s.Resource)).toMatch(/\/(restapis|apis)\/(abcde12345|zyxwv98765)\//);
  });

  it('puts WAF on the REST stage and gateway responses on the REST API', () => {
    // Assess
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: {
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('::/restapis/abcde12345/stages/prod')])],
      },
    });
    template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 4);
  });

  it('creates no WAF and no REST pieces for an HTTP API alone', () => {
    // Act
    const { restApiId: _a, restApiStage: _b, restApiMethods: _c, ...httpOnly } = CONTEXT;
    const t = templateOf(
      new AttachStack(testApp(), 'HttpOnly', {
        config: configFrom({ ...httpOnly, httpApiAutoDeploy: 'true' }),
      }),
    );
    // Assess
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    expect(Object.values(sdkCalls(t)).filter((c) => c.create?.action === 'createDeployment')).toEqual([]);
  });
});
