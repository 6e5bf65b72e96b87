import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CountersTable } from '../../lib/constructs/counters-table';
import { WafBlocklist } from '../../lib/constructs/waf-blocklist';
import { demoStack } from './demo';
import { actionsOf, statementsOfRole, testApp } from './synth';

describe('WafBlocklist', () => {
  let template: Template;

  beforeAll(() => {
    template = demoStack().template;
  });

  it('creates one regional IP set per IP version', () => {
    // Assess
    template.resourceCountIs('AWS::WAFv2::IPSet', 2);
    for (const version of ['IPV4', 'IPV6']) {
      template.hasResourceProperties('AWS::WAFv2::IPSet', {
        Scope: 'REGIONAL',
        IPAddressVersion: version,
        Addresses: [],
      });
    }
  });

  it('blocks the IP sets in the first rule, then runs the managed rule groups', () => {
    // Assess
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'))[0] as {
      Properties: { Rules: Array<Record<string, any>>; DefaultAction: unknown; Scope: string };
    };
    expect(acl.Properties.Scope).toBe('REGIONAL');
    expect(acl.Properties.DefaultAction).toEqual({ Allow: {} });
    const [first, ...rest] = acl.Properties.Rules;
    expect(first).toMatchObject({
      Name: 'gatewarden-blocklist',
      Priority: 0,
      Action: { Block: expect.anything() },
    });
    const refs = first!.Statement.OrStatement.Statements.map(
      (s: any) => s.IPSetReferenceStatement.Arn['Fn::GetAtt'][0],
    );
    expect(refs).toEqual([expect.stringMatching(/V4Set0/), expect.stringMatching(/V6Set0/)]);
    expect(rest.map((r) => r.Statement.ManagedRuleGroupStatement.Name)).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'AWSManagedRulesSQLiRuleSet',
    ]);
    expect(rest.every((r) => r.Priority > 0 && r.OverrideAction?.None !== undefined)).toBe(true);
  });

  it('is associated with the REST API stage (and nothing else: HTTP APIs cannot be)', () => {
    // Assess
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('WafWebAcl'), 'Arn'] },
      ResourceArn: {
        'Fn::Join': [
          '',
          Match.arrayWith([
            '::/restapis/',
            { Ref: Match.stringLikeRegexp('^RestApi') },
            '/stages/',
            { Ref: Match.stringLikeRegexp('DeploymentStagedemo') },
          ]),
        ],
      },
    });
  });

  it('reserves no concurrency for the updater by default (a reservation fails low-quota accounts)', () => {
    const updaters = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('WAF updater') },
    });
    expect(Object.keys(updaters)).toHaveLength(1);
    for (const u of Object.values(updaters))
      expect(u.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('runs the updater with the IP-set ARNs in its environment', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('WAF updater'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          WAF_IPSET_V4_ARNS: { 'Fn::GetAtt': [Match.stringLikeRegexp('V4Set0'), 'Arn'] },
          WAF_IPSET_V6_ARNS: { 'Fn::GetAtt': [Match.stringLikeRegexp('V6Set0'), 'Arn'] },
          WAF_IPSET_HIGH_WATER: '9500',
        }),
      },
    });
  });

  it('consumes the table stream filtered to block records, with bisect, retries and an on-failure queue', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('CountersTable'), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('FailureQueue'), 'Arn'] } },
      },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT', 'MODIFY', 'REMOVE'],
              dynamodb: { Keys: { sk: { S: ['block'] } } },
            }),
          },
        ],
      },
    });
  });

  it('reconciles every 5 minutes', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('WafUpdaterFunction'), 'Arn'] } }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('FailureQueue'), 'Arn'] } },
      },
    });
  });

  it('encrypts the failure queue and refuses plain HTTP to it', () => {
    // Assess
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('may update only its own IP sets and query only the active-blocks index', () => {
    // Act
    const statements = statementsOfRole(template, 'GatewardenWafUpdaterRole');
    // Assess
    const waf = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('wafv2:')));
    expect(waf.map(actionsOf)).toEqual([['wafv2:GetIPSet', 'wafv2:UpdateIPSet']]);
    expect(waf[0]!.Resource).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/V4Set0/), 'Arn'] },
      { 'Fn::GetAtt': [expect.stringMatching(/V6Set0/), 'Arn'] },
    ]);
    const query = statements.find((s) => actionsOf(s).includes('dynamodb:Query'));
    expect(JSON.stringify(query?.Resource)).toContain('/index/active-blocks');
    expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:Scan');
  });

  it('shards into more IP sets and skips managed rules when asked', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Shards');
    const table = new CountersTable(stack, 'Counters').table;
    // Act
    const waf = new WafBlocklist(stack, 'Waf', { table, ipSetsPerVersion: 3, managedRuleGroups: false });
    // Assess
    expect(waf.ipSetsV4).toHaveLength(3);
    expect(waf.ipSetsV6).toHaveLength(3);
  });

  it('Noncompliance 1: impossible shard counts and high-water marks fail at synth', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Bad');
    const table = new CountersTable(stack, 'Counters').table;
    // Act / Assess
    expect(() => new WafBlocklist(stack, 'Waf', { table, ipSetsPerVersion: 0, highWater: 20_000 })).toThrow(
      /ipSetsPerVersion must be a whole number from 1 to 10, got 0; highWater must be a whole number from 1 to 10000/,
    );
  });
});
