import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accessLogFormatString,
  HTTP_ACCESS_LOG_FORMAT,
  REST_ACCESS_LOG_FORMAT,
} from '../../lambdas/log-feedback/access-log-format';
import { GatewardenStack } from '../../lib/stacks/gatewarden-stack';
import { demoStack } from './demo';
import { configFrom, templateOf, testApp } from './synth';

describe('GatewardenStack (demo)', () => {
  let template: Template;

  beforeAll(() => {
    template = demoStack().template;
  });

  it('writes the JSON access-log format to both stages', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'demo',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('RestAccessLogs'), 'Arn'] },
        Format: accessLogFormatString(REST_ACCESS_LOG_FORMAT),
      },
      MethodSettings: [Match.objectLike({ LoggingLevel: 'ERROR' })],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('HttpAccessLogs'), 'Arn'] },
        Format: accessLogFormatString(HTTP_ACCESS_LOG_FORMAT),
      },
    });
  });

  it('has a small inline backend on the same runtime', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Gatewarden demo backend',
      Runtime: 'nodejs24.x',
      Code: { ZipFile: Match.stringLikeRegexp('exports.handler') },
    });
  });

  it('redeploys the REST API when gateway responses change', () => {
    // Assess
    const deployment = Object.values(template.findResources('AWS::ApiGateway::Deployment'))[0] as {
      DependsOn: string[];
    };
    expect(deployment.DependsOn.filter((d) => d.includes('GatewayResponses'))).toHaveLength(4);
  });

  it('encrypts logs, table and queue with one rotating CMK when kmsKey=create', () => {
    // Act
    const config = configFrom({ kmsKey: 'create', region: 'eu-west-1' });
    const t = templateOf(new GatewardenStack(testApp(), 'Cmk', { config, env: { region: 'eu-west-1' } }));
    // Assess
    const key = Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('GatewardenKey'), 'Arn'] });
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    });
    t.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: key });
    const groups = Object.values(t.findResources('AWS::Logs::LogGroup')).map(
      (g) => (g as { Properties: Record<string, unknown> }).Properties,
    );
    expect(groups.filter((g) => g.KmsKeyId === undefined).map((g) => g.RetentionInDays)).toEqual([7]); // only the demo backend
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: Match.anyValue() },
            Condition: Match.objectLike({ ArnLike: Match.anyValue() }),
          }),
        ]),
      },
    });
  });

  it('with replicaRegions, tells every function that counts the table Regions (GATEWARDEN_REGIONS)', () => {
    // Act
    const config = configFrom({ region: 'us-east-1', replicaRegions: 'eu-west-1,ap-southeast-2' });
    const t = templateOf(
      new GatewardenStack(testApp(), 'Replicas', { config, env: { region: 'us-east-1' } }),
    );
    // Assess: both authorizers and the access-log feedback write counters; the stack's own Region comes first
    for (const description of [
      'Gatewarden REST API REQUEST authorizer',
      'Gatewarden HTTP API authorizer',
      'Gatewarden access-log feedback: response statuses into the counters',
    ]) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Description: description,
        Environment: {
          Variables: Match.objectLike({ GATEWARDEN_REGIONS: 'us-east-1,eu-west-1,ap-southeast-2' }),
        },
      });
    }
  });

  it('without replicas, sets no GATEWARDEN_REGIONS (counter items keep their single-Region keys)', () => {
    // Assess
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => (f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties,
    );
    expect(
      functions.filter((f) => f.Environment?.Variables?.GATEWARDEN_TABLE !== undefined).length,
    ).toBeGreaterThan(0);
    expect(functions.filter((f) => f.Environment?.Variables?.GATEWARDEN_REGIONS !== undefined)).toEqual([]);
  });

  it('adds a TLS 1.2 custom domain with mutual TLS and disables the default endpoint', () => {
    // Act
    const t = templateOf(
      new GatewardenStack(testApp(), 'Domain', {
        config: configFrom({
          domainName: 'api.example.com',
          certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
          mtlsTruststoreUri: 's3://trust-bucket/ca.pem',
        }),
      }),
    );
    // Assess
    t.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.com',
      SecurityPolicy: 'TLS_1_2',
      MutualTlsAuthentication: { TruststoreUri: 's3://trust-bucket/ca.pem' },
    });
    t.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
  });
});
