import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { ACTIVE_BLOCKS_INDEX, LIST_KEY, PK, SK, TTL_ATTRIBUTE } from '../../lambdas/store/table-schema';

/** Props for {@link CountersTable}. */
export interface CountersTableProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The Gatewarden table: counters, block records and offence history (layout in
 * `lambdas/store/table-schema.ts`). On-demand, encrypted, point-in-time recovery, TTL and a stream for the
 * WAF updater.
 */
export class CountersTable extends Construct {
  public readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: CountersTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: PK, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SK, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
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
