import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ACTIVE_BLOCKS_INDEX, LIST_KEY, PK, SK, TTL_ATTRIBUTE } from '../../lambdas/store/table-schema';
import { PropsError } from './errors';

/** Props for {@link CountersTable}. */
export interface CountersTableProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Extra Regions to replicate the table to (a global table), for APIs served from several Regions. Block records
   * then reach every Region's authorizer. Every write is replicated, so write cost is multiplied by the number of
   * Regions. The stack must have an explicit Region.
   * @default - no replicas
   */
  readonly replicaRegions?: readonly string[];
  /**
   * Customer-managed key for the table. With replicas, {@link replicaKeyArns} names a key in each replica Region.
   * @default - an AWS-owned key managed by DynamoDB
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Key ARN per replica Region, required when both {@link encryptionKey} and {@link replicaRegions} are set.
   * @default - none
   */
  readonly replicaKeyArns?: Readonly<Record<string, string>>;
}

/**
 * The Gatewarden table: counters, block records and offence history (layout in
 * `lambdas/store/table-schema.ts`). On-demand, encrypted, point-in-time recovery, TTL and a stream for the
 * WAF updater; optionally a global table with replicas and a customer-managed key.
 */
export class CountersTable extends Construct {
  public readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: CountersTableProps = {}) {
    super(scope, id);
    const replicaRegions = props.replicaRegions ?? [];
    if (props.replicaKeyArns && !props.encryptionKey) {
      throw new PropsError(this, 'replicaKeyArns needs encryptionKey: give both or neither');
    }
    if (props.encryptionKey) {
      const missing = replicaRegions.filter((r) => !props.replicaKeyArns?.[r]);
      if (missing.length > 0) {
        throw new PropsError(
          this,
          `encryptionKey is Regional: replicaKeyArns must name a key for each replica Region (missing: ${missing.join(', ')})`,
        );
      }
    }
    if (new Set(replicaRegions).size !== replicaRegions.length) {
      throw new PropsError(this, `replicaRegions lists a Region twice: ${replicaRegions.join(', ')}`);
    }
    if (replicaRegions.length > 0 && Token.isUnresolved(Stack.of(this).region)) {
      throw new PropsError(this, 'replicaRegions needs a stack with an explicit Region (env.region)');
    }
    // A global table renders its key per Region, which an environment-agnostic template cannot name.
    if (props.encryptionKey && Token.isUnresolved(Stack.of(this).region)) {
      throw new PropsError(this, 'encryptionKey needs a stack with an explicit Region (env.region)');
    }

    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: PK, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SK, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      encryption: props.encryptionKey
        ? dynamodb.TableEncryptionV2.customerManagedKey(props.encryptionKey, { ...props.replicaKeyArns })
        : dynamodb.TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: (props.removalPolicy ?? RemovalPolicy.RETAIN) === RemovalPolicy.RETAIN,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      replicas: replicaRegions.map((region) => ({ region })),
      globalSecondaryIndexes: [
        {
          indexName: ACTIVE_BLOCKS_INDEX,
          partitionKey: { name: LIST_KEY, type: dynamodb.AttributeType.STRING },
          sortKey: { name: TTL_ATTRIBUTE, type: dynamodb.AttributeType.NUMBER },
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
    });
  }
}
