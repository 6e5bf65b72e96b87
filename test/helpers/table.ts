import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../../lambdas/store/create-table';
import { TTL_ATTRIBUTE } from '../../lambdas/store/table-schema';

let counter = 0;

/** Creates a fresh Gatewarden table on the run's DynamoDB Local and returns its name. */
export async function createTestTable(prefix = 'gw'): Promise<string> {
  const client = new DynamoDBClient({});
  counter += 1;
  const name = `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
  await client.send(new CreateTableCommand(createTableInput(name)));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
  client.destroy();
  return name;
}
