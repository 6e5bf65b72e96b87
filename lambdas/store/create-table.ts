import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { ACTIVE_BLOCKS_INDEX, LIST_KEY, PK, SK, TTL_ATTRIBUTE } from './table-schema';

/**
 * CreateTable input for the Gatewarden table on any endpoint (DynamoDB Local, tests, the CLI). The CDK construct
 * declares the same keys, index and stream from the same constants.
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: PK, AttributeType: 'S' },
      { AttributeName: SK, AttributeType: 'S' },
      { AttributeName: LIST_KEY, AttributeType: 'S' },
      { AttributeName: TTL_ATTRIBUTE, AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: PK, KeyType: 'HASH' },
      { AttributeName: SK, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: ACTIVE_BLOCKS_INDEX,
        KeySchema: [
          { AttributeName: LIST_KEY, KeyType: 'HASH' },
          { AttributeName: TTL_ATTRIBUTE, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}
