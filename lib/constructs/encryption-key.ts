import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Props for {@link GatewardenKey}. */
export interface GatewardenKeyProps {
  /**
   * @default RemovalPolicy.RETAIN (data encrypted under it may outlive the stack: table backups, logs)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A customer-managed key for the table, queues and log groups, rotated yearly. Its key policy lets CloudWatch Logs
 * in this account and Region use it for log groups (scoped by encryption context), which CloudWatch Logs needs
 * before it accepts the key.
 */
export class GatewardenKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: GatewardenKeyProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: `Gatewarden data key (${stack.stackName})`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}
