import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { CountersTable } from '../../lib/constructs/counters-table';
import { Operations } from '../../lib/constructs/operations';
import { demoStack } from './demo';
import { testApp } from './synth';

type Alarm = { Properties: Record<string, any> };

describe('Operations', () => {
  let template: Template;
  let alarms: Record<string, Alarm>;

  beforeAll(() => {
    template = demoStack().template;
    alarms = Object.fromEntries(
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => [
        String((a as Alarm).Properties.AlarmName).replace(/^Demo-gatewarden-/, ''),
        a as Alarm,
      ]),
    );
  });

  /** The metrics of an alarm, by id for math alarms, or the single metric. */
  function metricsOf(name: string): Array<Record<string, any>> {
    const p = alarms[name]!.Properties;
    if (p.MetricName)
      return [
        {
          MetricName: p.MetricName,
          Namespace: p.Namespace,
          Dimensions: p.Dimensions,
          Statistic: p.Statistic ?? p.ExtendedStatistic,
        },
      ];
    return (p.Metrics as Array<Record<string, any>>)
      .filter((m) => m.MetricStat)
      .map((m) => ({ Id: m.Id, ...m.MetricStat.Metric, Stat: m.MetricStat.Stat }));
  }

  it('creates every alarm, each with a runbook and both alarm and OK actions on the topic', () => {
    // Assess
    expect(Object.keys(alarms).sort()).toEqual(
      [
        'AuthorizerErrors1',
        'AuthorizerErrors2',
        'AuthorizerLatencyP991',
        'AuthorizerLatencyP992',
        'BlockRateSpike',
        'DenyRateSpike',
        'DistributedUptick',
        'ErrorRateSpikeHttpApi',
        'ErrorRateSpikeRestApi',
        'FailOpen',
        'FailureQueueDepth',
        'IpSetCapacity',
        'JwksFetchFailures',
        'LogFeedbackErrors',
        'TableThrottles',
        'UpdaterErrors',
      ].sort(),
    );
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties.AlarmDescription.length).toBeGreaterThan(80);
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/AlarmTopic/) }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: expect.stringMatching(/AlarmTopic/) }]);
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
  });

  it('alarms on authorizer errors and p99 duration', () => {
    // Assess
    expect(metricsOf('AuthorizerErrors1')[0]).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
    });
    expect(alarms.AuthorizerErrors1!.Properties.Threshold).toBe(5);
    expect(metricsOf('AuthorizerLatencyP991')[0]).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Statistic: 'p99',
    });
    expect(alarms.AuthorizerLatencyP991!.Properties).toMatchObject({ Threshold: 1000, EvaluationPeriods: 3 });
  });

  it('computes the deny rate from Decision by Band with a minimum volume', () => {
    // Act
    const p = alarms.DenyRateSpike!.Properties;
    // Assess
    const expression = (p.Metrics as Array<Record<string, any>>).find((m) => m.Expression)!.Expression;
    expect(expression).toBe(
      'IF((allow+flag+deny+block) >= 100, 100*(deny+block)/(allow+flag+deny+block), 0)',
    );
    expect(metricsOf('DenyRateSpike').map((m) => [m.Id, m.Namespace, m.MetricName, m.Dimensions])).toEqual(
      ['allow', 'flag', 'deny', 'block'].map((band) => [
        band,
        'Gatewarden',
        'Decision',
        [
          { Name: 'Band', Value: band },
          { Name: 'service', Value: 'gatewarden' },
        ],
      ]),
    );
    expect(p.Threshold).toBe(20);
  });

  it('sums BlockCreated over every block scope', () => {
    // Assess
    expect(
      metricsOf('BlockRateSpike').map((m) => m.Dimensions.find((d: any) => d.Name === 'Scope').Value),
    ).toEqual(['ip', 'prefix', 'token', 'subject']);
  });

  it.each([
    ['DistributedUptick', 'UnderAttack', 1],
    ['FailOpen', 'FailOpen', 1],
    ['JwksFetchFailures', 'JwksFetchFailure', 3],
  ])('%s watches Gatewarden %s', (alarm, metricName, threshold) => {
    // Assess
    expect(metricsOf(alarm)).toEqual([
      {
        MetricName: metricName,
        Namespace: 'Gatewarden',
        Dimensions: [{ Name: 'service', Value: 'gatewarden' }],
        Statistic: 'Sum',
      },
    ]);
    expect(alarms[alarm]!.Properties.Threshold).toBe(threshold);
  });

  it('watches DynamoDB throttles per operation, the updater, its queue and IP-set capacity', () => {
    // Assess
    expect(
      metricsOf('TableThrottles').map((m) => m.Dimensions.find((d: any) => d.Name === 'Operation').Value),
    ).toEqual(['GetItem', 'BatchGetItem', 'UpdateItem', 'PutItem', 'Query']);
    expect(
      metricsOf('UpdaterErrors')
        .map((m) => m.MetricName)
        .sort(),
    ).toEqual(['Errors', 'WafReconcileFailure']);
    expect(metricsOf('FailureQueueDepth')[0]).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
    expect(
      metricsOf('IpSetCapacity')
        .map((m) => m.MetricName)
        .sort(),
    ).toEqual(['WafCapacityUsedPercent', 'WafItemsLeftOut']);
    expect(alarms.IpSetCapacity!.Properties.Threshold).toBe(80);
  });

  it('alarms on each API 4XX rate from API Gateway metrics', () => {
    // Assess
    expect(
      metricsOf('ErrorRateSpikeRestApi')
        .map((m) => m.MetricName)
        .sort(),
    ).toEqual(['4XXError', 'Count']);
    expect(
      metricsOf('ErrorRateSpikeHttpApi')
        .map((m) => m.MetricName)
        .sort(),
    ).toEqual(['4xx', 'Count']);
  });

  it('publishes to a KMS-encrypted, TLS-only topic with an e-mail subscription that CloudWatch can use', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('TopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  it('builds a dashboard with decisions by band, signals, reasons, latency, DynamoDB and updater health', () => {
    // Act
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as Alarm;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    // Assess
    for (const title of [
      'Decisions by band',
      'Signals fired',
      'Top 401 reasons',
      'Authorizer duration',
      'DynamoDB capacity consumed',
      'WAF IP sets',
      'WAF updater: errors and failure queue',
      'Alarms',
    ]) {
      expect(body).toContain(title);
    }
  });

  it('Noncompliance 1: thresholds out of range fail at synth', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Ops');
    const table = new CountersTable(stack, 'Counters').table;
    const fn = lambda.Function.fromFunctionName(stack, 'Fn', 'x');
    // Act / Assess
    expect(
      () =>
        new Operations(stack, 'Ops', {
          authorizers: [fn],
          table,
          thresholds: { denyRatePercent: 150, blocksCreated: 0 },
        }),
    ).toThrow(
      /thresholds.blocksCreated must be a positive number, got 0; thresholds.denyRatePercent is a percentage/,
    );
    expect(() => new Operations(stack, 'Ops2', { authorizers: [], table })).toThrow(
      /authorizers must list at least one/,
    );
  });
});
