import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { CountersTable } from '../../lib/constructs/counters-table';
import { testApp } from './synth';

describe('CountersTable', () => {
  let template: Template;

  beforeAll(() => {
    const stack = new Stack(testApp(), 'Table');
    new CountersTable(stack, 'Counters');
    template = Template.fromStack(stack);
  });

  it('is on-demand, encrypted, with PITR, TTL, stream and the active-blocks index', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'active-blocks',
          KeySchema: [
            { AttributeName: 'listKey', KeyType: 'HASH' },
            { AttributeName: 'expiresAt', KeyType: 'RANGE' },
          ],
        }),
      ],
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });

  it('is retained when the stack is deleted', () => {
    // Assess
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('replicates to the given Regions with a customer-managed key per Region', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Global', { env: { region: 'us-east-1', account: '123456789012' } });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const replicaKey = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    // Act
    new CountersTable(stack, 'Counters', {
      replicaRegions: ['eu-west-1'],
      encryptionKey: key,
      replicaKeyArns: { 'eu-west-1': replicaKey },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Assess
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: Match.arrayWith([
        Match.objectLike({ Region: 'eu-west-1', SSESpecification: { KMSMasterKeyId: replicaKey } }),
        Match.objectLike({ Region: 'us-east-1' }),
      ]),
    });
  });

  it('Noncompliance 1: replicas in an environment-agnostic stack fail at synth', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Agnostic');
    // Act / Assess
    expect(() => new CountersTable(stack, 'Counters', { replicaRegions: ['eu-west-1'] })).toThrow(
      /replicaRegions needs a stack with an explicit Region/,
    );
  });

  it('Noncompliance 2: a CMK without a key for each replica Region fails at synth', () => {
    // Prepare
    const stack = new Stack(testApp(), 'MissingKey', {
      env: { region: 'us-east-1', account: '123456789012' },
    });
    const key = new kms.Key(stack, 'Key');
    // Act / Assess
    expect(
      () => new CountersTable(stack, 'Counters', { replicaRegions: ['eu-west-1'], encryptionKey: key }),
    ).toThrow(/replicaKeyArns must name a key for each replica Region \(missing: eu-west-1\)/);
  });
});
