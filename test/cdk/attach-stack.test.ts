import { Match, Template } from 'aws-cdk-lib/assertions';
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

/** An AwsCustomResource's SDK call (a JSON string, or a Fn::Join when it holds tokens) as an object. */
function parseCall(v: unknown): any {
  if (v === undefined) return undefined;
  // Tokens (Refs) sit inside JSON strings, so a placeholder without quotes keeps the JSON valid.
  const text =
    typeof v === 'string'
      ? v
      : ((v as any)['Fn::Join'][1] as unknown[]).map((x) => (typeof x === 'string' ? x : 'TOKEN')).join('');
  return JSON.parse(text);
}

/** The SDK calls of the AwsCustomResources, by logical id. */
function sdkCalls(template: Template): Record<string, { create?: any; update?: any; delete?: any }> {
  return Object.fromEntries(
    Object.entries(template.findResources('Custom::AWS')).map(([id, r]) => {
      const p = (r as Resource).Properties;
      return [id, { create: parseCall(p.Create), update: parseCall(p.Update), delete: parseCall(p.Delete) }];
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
        'APIGateway.updateStage/updateStage',
        'ApiGatewayV2.createDeployment/-',
        'ApiGatewayV2.updateRoute/updateRoute',
        'ApiGatewayV2.updateStage/deleteAccessLogSettings',
      ].sort(),
    );
    const method = calls.find((c) => c.create?.action === 'updateMethod')!;
    expect(method.create.parameters.patchOperations).toEqual([
      { op: 'replace', path: '/authorizationType', value: 'CUSTOM' },
      { op: 'replace', path: '/authorizerId', value: 'TOKEN' },
    ]);
  });

  it('gives the attach role API Gateway rights on the named API paths only', () => {
    // Act
    const statements = statementsOfRole(template, 'AttachRole');
    // Assess
    const apigw = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('apigateway:')));
    expect(apigw.flatMap(actionsOf).sort()).toEqual([
      'apigateway:DELETE', // HTTP stage access-log settings, on delete
      'apigateway:PATCH', // REST stage
      'apigateway:PATCH', // REST methods of the API
      'apigateway:PATCH', // HTTP stage
      'apigateway:PATCH', // HTTP routes of the API
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

/** The resources of the attach stack synthesized from `context` (CONTEXT overridden by it). */
function attachResources(context: Record<string, unknown>): Record<string, Resource & { Type: string }> {
  const t = templateOf(
    new AttachStack(testApp(), 'Attach', { config: configFrom({ ...CONTEXT, ...context }) }),
  );
  return t.toJSON().Resources;
}

/**
 * What CloudFormation would do to go from `before` to `after`, by logical id: resources added, removed, and kept
 * with different properties (an update; for a custom resource, a replacement when its physical id changes too).
 */
function planOf(before: Record<string, unknown>, after: Record<string, unknown>) {
  const same = (id: string) =>
    JSON.stringify((before[id] as Resource).Properties) ===
    JSON.stringify((after[id] as Resource).Properties);
  return {
    added: Object.keys(after).filter((id) => !(id in before)),
    removed: Object.keys(before).filter((id) => !(id in after)),
    changed: Object.keys(after).filter((id) => id in before && !same(id)),
  };
}

/** The physical id an AwsCustomResource reports, read from its create (or delete-only) call. */
function physicalIdOf(resource: Resource): string | undefined {
  return parseCall(resource.Properties.Create ?? resource.Properties.Delete)?.physicalResourceId?.id;
}

const byPrefix = (ids: readonly string[], prefix: string) => ids.filter((id) => id.startsWith(prefix));

// CloudFormation replaces a custom resource whose physical id changes and deletes the old one after the update
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html); with
// positional ids that delete reset methods still listed. These compare templates before and after each change.
describe('AttachStack: changing what is protected', () => {
  const BEFORE = { restApiMethods: 'x1y2z3:GET,x1y2z3:POST', httpApiRoutes: 'r1a2b3c,r4d5e6f' };
  let before: Record<string, Resource & { Type: string }>;

  beforeAll(() => {
    before = attachResources(BEFORE);
  });

  it('inserting a method before the others adds its resource and leaves theirs untouched', () => {
    // Act
    const after = attachResources({ ...BEFORE, restApiMethods: 'q7w8e9:GET,x1y2z3:GET,x1y2z3:POST' });
    const plan = planOf(before, after);
    // Assess: the new method, a new detach redeploy (the old one goes, redeploying once), and the attach deployment
    expect(byPrefix(plan.added, 'RestMethod')).toEqual([expect.stringMatching(/^RestMethodq7w8e9GET/)]);
    expect(plan.added.filter((id) => !id.startsWith('RestMethod'))).toEqual([
      expect.stringMatching(/^RestDetachDeployment/),
    ]);
    expect(plan.removed).toEqual([expect.stringMatching(/^RestDetachDeployment/)]);
    expect(plan.changed).toEqual([expect.stringMatching(/^RestDeployment/)]);
    // Kept resources keep their properties (no update event, no replacement); only their DependsOn names the new
    // redeploy, which CloudFormation applies without touching the resource.
    for (const id of byPrefix(Object.keys(before), 'RestMethod')) {
      expect(after[id]!.Properties).toEqual(before[id]!.Properties);
      expect(physicalIdOf(after[id]!)).toBe(physicalIdOf(before[id]!));
    }
    expect(physicalIdOf(after[byPrefix(plan.added, 'RestMethod')[0]!]!)).toBe('abcde12345/q7w8e9/GET');
  });

  it('reordering methods or routes changes nothing at all', () => {
    // Act
    const after = attachResources({
      restApiMethods: 'x1y2z3:POST,x1y2z3:GET',
      httpApiRoutes: 'r4d5e6f,r1a2b3c',
    });
    // Assess
    expect(planOf(before, after)).toEqual({ added: [], removed: [], changed: [] });
  });

  it('removing a method deletes only its resource, resets it, then redeploys the stage once', () => {
    // Act
    const after = attachResources({ ...BEFORE, restApiMethods: 'x1y2z3:POST' });
    const plan = planOf(before, after);
    // Assess: only the removed method's resource and the old detach redeploy go
    const [gone] = byPrefix(plan.removed, 'RestMethod');
    expect(gone).toMatch(/^RestMethodx1y2z3GET/);
    const [oldDetach] = byPrefix(plan.removed, 'RestDetachDeployment');
    expect(plan.removed.sort()).toEqual([gone, oldDetach].sort());
    expect(plan.added).toEqual([expect.stringMatching(/^RestDetachDeployment/)]);
    expect(plan.changed).toEqual([expect.stringMatching(/^RestDeployment/)]);
    const kept = byPrefix(Object.keys(after), 'RestMethod');
    expect(kept).toEqual([expect.stringMatching(/^RestMethodx1y2z3POST/)]);
    expect(after[kept[0]!]!.Properties).toEqual(before[kept[0]!]!.Properties);
    // The removed method depended on the old redeploy, so CloudFormation deletes (resets) it first
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html).
    expect(before[gone!]!.DependsOn).toContain(oldDetach);
    const calls = sdkCalls(templateOfResources(before));
    expect(calls[gone!]!.delete.action).toBe('updateMethod');
    expect(calls[oldDetach!]!.delete).toMatchObject({
      action: 'createDeployment',
      parameters: { restApiId: 'abcde12345', stageName: 'prod' },
    });
  });

  it('keeps the role able to reset a removed method: its policy does not change with the list', () => {
    // Act
    const after = attachResources({ ...BEFORE, restApiMethods: 'x1y2z3:POST', httpApiRoutes: 'r1a2b3c' });
    const policies = (r: Record<string, Resource & { Type: string }>) =>
      Object.entries(r).filter(([, v]) => v.Type === 'AWS::IAM::Policy');
    // Assess: the update phase changes policies before the cleanup phase runs the removed resource's delete
    expect(policies(after)).toEqual(policies(before));
  });

  it('adding and removing HTTP routes touches only those routes', () => {
    // Act
    const after = attachResources({ ...BEFORE, httpApiRoutes: 'r0z9y8x,r4d5e6f' });
    const plan = planOf(before, after);
    // Assess
    expect(byPrefix(plan.added, 'HttpRoute')).toEqual([expect.stringMatching(/^HttpRouter0z9y8x/)]);
    expect(byPrefix(plan.removed, 'HttpRoute')).toEqual([expect.stringMatching(/^HttpRouter1a2b3c/)]);
    expect(byPrefix(plan.added, 'HttpDetachDeployment')).toHaveLength(1);
    expect(byPrefix(plan.removed, 'HttpDetachDeployment')).toHaveLength(1);
    expect(plan.changed).toEqual([expect.stringMatching(/^HttpDeployment/)]);
    const [kept] = byPrefix(Object.keys(after), 'HttpRouter4d5e6f');
    expect(after[kept!]!.Properties).toEqual(before[kept!]!.Properties);
    expect(physicalIdOf(after[kept!]!)).toBe('zyxwv98765/r4d5e6f');
    expect(before[byPrefix(plan.removed, 'HttpRoute')[0]!]!.DependsOn).toContain(
      byPrefix(plan.removed, 'HttpDetachDeployment')[0],
    );
  });

  it('refuses a method or route listed twice (each names its own resources)', () => {
    // Act / Assess
    expect(() => configFrom({ ...CONTEXT, restApiMethods: 'a1b2c3:GET,a1b2c3:get' })).toThrow(
      /restApiMethods: "a1b2c3:get" is listed twice/,
    );
    expect(() => configFrom({ ...CONTEXT, httpApiRoutes: 'r1a2b3c,r1a2b3c' })).toThrow(
      /httpApiRoutes: "r1a2b3c" is listed twice/,
    );
  });
});

function templateOfResources(resources: Record<string, unknown>): Template {
  return Template.fromJSON({ Resources: resources });
}

describe('AttachStack: removing Gatewarden (the delete calls)', () => {
  let resources: Record<string, Resource & { Type: string }>;
  let calls: ReturnType<typeof sdkCalls>;

  beforeAll(() => {
    resources = attachResources({});
    calls = sdkCalls(templateOfResources(resources));
  });

  const one = (prefix: string) => {
    const ids = byPrefix(Object.keys(resources), prefix);
    expect(ids).toHaveLength(1);
    return ids[0]!;
  };

  it('sets each REST method back to NONE and clears its authorizer id', () => {
    // Act
    const call = calls[one('RestMethoda1b2c3GET')]!.delete;
    // Assess
    expect(call).toMatchObject({
      service: 'APIGateway',
      action: 'updateMethod',
      parameters: {
        restApiId: 'abcde12345',
        resourceId: 'a1b2c3',
        httpMethod: 'GET',
        patchOperations: [
          { op: 'replace', path: '/authorizationType', value: 'NONE' },
          { op: 'replace', path: '/authorizerId', value: '' },
        ],
      },
    });
  });

  it('sets each HTTP route back to NONE without an authorizer', () => {
    // Assess
    expect(calls[one('HttpRouter1a2b3c')]!.delete).toMatchObject({
      service: 'ApiGatewayV2',
      action: 'updateRoute',
      parameters: { ApiId: 'zyxwv98765', RouteId: 'r1a2b3c', AuthorizationType: 'NONE', AuthorizerId: '' },
    });
  });

  it('turns off the access logs it turned on', () => {
    // Assess
    expect(calls[one('RestStageAccessLog')]!.delete).toMatchObject({
      action: 'updateStage',
      parameters: {
        restApiId: 'abcde12345',
        stageName: 'prod',
        patchOperations: [{ op: 'remove', path: '/accessLogSettings' }],
      },
    });
    expect(calls[one('HttpStageAccessLog')]!.delete).toMatchObject({
      service: 'ApiGatewayV2',
      action: 'deleteAccessLogSettings',
      parameters: { ApiId: 'zyxwv98765', StageName: '$default' },
    });
    // Deleted before the log group it points at (it references the group's name).
    const logGroup = byPrefix(Object.keys(resources), 'RestAccessLogs').find(
      (id) => resources[id]!.Type === 'AWS::Logs::LogGroup',
    )!;
    expect(JSON.stringify(resources[one('RestStageAccessLog')]!.Properties)).toContain(logGroup);
  });

  it('redeploys after every reset and the gateway responses are gone, before the authorizer is deleted', () => {
    // Act
    const detach = one('RestDetachDeployment');
    // Assess: dependents are deleted first, so resets and responses go, then the redeploy, then the authorizer
    for (const id of byPrefix(Object.keys(resources), 'RestMethod'))
      expect(resources[id]!.DependsOn).toContain(detach);
    for (const [id, r] of Object.entries(resources))
      if (r.Type === 'AWS::ApiGateway::GatewayResponse') expect(resources[id]!.DependsOn).toContain(detach);
    expect(resources[detach]!.DependsOn).toContain('RestAuthorizer');
    expect(calls[detach]!.delete.action).toBe('createDeployment');
    expect(calls[detach]!.create).toBeUndefined();
    expect(physicalIdOf(resources[detach]!)).toBe('abcde12345/prod/detach');
  });

  it('leaves the account-level log role alone unless asked, and then retains it', () => {
    // Assess: not created by default
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Account')).toEqual([]);
    expect(byPrefix(Object.keys(resources), 'ApiGatewayLogRole')).toEqual([]);
    // Act
    const asked = attachResources({ apiGatewayLogRole: 'true' });
    // Assess: retained on stack deletion and on replacement; the stage's access log waits for it
    const account = Object.entries(asked).find(([, r]) => r.Type === 'AWS::ApiGateway::Account')!;
    const role = Object.entries(asked).find(([id]) => id.startsWith('ApiGatewayLogRole'))!;
    for (const [, r] of [account, role])
      expect(r).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const stage = Object.entries(asked).find(([id]) => id.startsWith('RestStageAccessLog'))!;
    expect(stage[1].DependsOn).toContain(account[0]);
  });

  it('lets the SDK calls outlast CreateDeployment throttling (one call per 5 s per account)', () => {
    // Assess
    // CDK's one provider function per stack for every AwsCustomResource (AwsCustomResource.PROVIDER_FUNCTION_UUID).
    const [provider] = byPrefix(Object.keys(resources), 'AWS679f53fac002430cb0da5b7982bd2287').map(
      (id) => resources[id],
    );
    expect(provider?.Properties.Environment).toEqual({ Variables: { AWS_MAX_ATTEMPTS: '10' } });
  });
});
