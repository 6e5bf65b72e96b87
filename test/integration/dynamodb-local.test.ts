import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';

describe('DynamoDB Local round trip', () => {
  const client = new DynamoDBClient({});
  const table = `roundtrip-${process.pid}`;

  it('uses the endpoint handed over by the global setup', async () => {
    // The SDK's standard override routes every client to the run's DynamoDB Local on loopback.
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(inject('dynamoEndpoint'));
    expect(inject('dynamoEndpoint')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates a table, counts atomically, honours conditions and stores the TTL attribute', async () => {
    // Prepare
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    const key = { pk: { S: 'ip#192.0.2.1' }, sk: { S: 'counter' } };
    const expiresAt = Math.floor(Date.now() / 1000) + 600;

    // Act: 50 parallel atomic increments
    await Promise.all(
      Array.from({ length: 50 }, () =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: key,
            UpdateExpression: 'ADD #n :one SET expiresAt = :ttl',
            ExpressionAttributeNames: { '#n': 'n' },
            ExpressionAttributeValues: { ':one': { N: '1' }, ':ttl': { N: String(expiresAt) } },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      ),
    );
    const conditional = client.send(
      new PutItemCommand({
        TableName: table,
        Item: { ...key, n: { N: '0' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );

    // Assess
    await expect(conditional).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const item = await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    expect(item.Item?.n?.N).toBe('50');
    expect(item.Item?.expiresAt?.N).toBe(String(expiresAt));
  });
});
