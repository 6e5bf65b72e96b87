import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoStack } from './demo';
import { actionsOf, statementsOfRole } from './synth';

describe('LogFeedback', () => {
  let template: Template;

  beforeAll(() => {
    template = demoStack().template;
  });

  it('subscribes the feedback function to both API access log groups, every event', () => {
    // Assess
    const filters = template.findResources('AWS::Logs::SubscriptionFilter', {
      Properties: {
        FilterPattern: '',
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('LogFeedbackHandlerFunction'), 'Arn'] },
      },
    });
    const groups = Object.values(filters).map(
      (f) => (f as { Properties: { LogGroupName: { Ref: string } } }).Properties.LogGroupName.Ref,
    );
    expect(groups.sort()).toEqual([
      expect.stringMatching(/^HttpAccessLogs/),
      expect.stringMatching(/^RestAccessLogs/),
    ]);
  });

  it('lets CloudWatch Logs invoke it', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'logs.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('LogFeedbackHandlerFunction'), 'Arn'] },
    });
  });

  it('may only add to counters (UpdateItem on the table)', () => {
    // Act
    const statements = statementsOfRole(template, 'GatewardenLogFeedbackHandlerRole');
    // Assess
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map(actionsOf)).toEqual([['dynamodb:UpdateItem']]);
  });

  it('runs on Node 24, ARM64', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('access-log feedback'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({ GATEWARDEN_TABLE: { Ref: Match.stringLikeRegexp('CountersTable') } }),
      },
    });
  });
});
