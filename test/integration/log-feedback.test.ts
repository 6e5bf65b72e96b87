import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import type { CounterStore } from '../../lambdas/engine/ports';
import { StoreUnavailableError } from '../../lambdas/engine/ports';
import { feedbackHandler, setFeedbackStore } from '../../lambdas/log-feedback/handler';
import { subscriptionEvent } from '../../lib/local/cloudwatch-logs';
import { createTestTable } from '../helpers/table';

describe('log-feedback handler against DynamoDB Local', () => {
  let table: string;
  beforeAll(async () => {
    table = await createTestTable('feedback');
  });

  it('adds status counts per key in few writes and skips bad lines', async () => {
    // Prepare
    setFeedbackStore(new DynamoCounterStore({ tableName: table, client: new DynamoDBClient({}) }));
    const at = Date.now();
    const lines = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({
        requestId: `r${i}`,
        ip: '198.51.100.23',
        requestTimeEpoch: at,
        httpMethod: 'POST',
        resource: '/login',
        path: '/login',
        status: 401,
        responseLatency: 5,
        userAgent: 'x',
        principalId: 'anonymous',
        tokenHash: '-',
        riskBand: 'allow',
      }),
    );
    // Act
    const result = await feedbackHandler(subscriptionEvent([...lines, '{"broken"', 'plain text']));
    // Assess
    expect(result).toMatchObject({ lines: 30, badLines: 2, writes: 2 });
    const item = await new DynamoDBClient({}).send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'ip#198.51.100.23' }, sk: { S: 'counter' } } }),
    );
    expect(item.Item?.[`f${Math.floor(at / 60000)}`]?.N).toBe('30');
  });

  it('fails the invocation when the store fails, so the delivery is retried', async () => {
    const failing: CounterStore = {
      exchange: async () => {
        throw new StoreUnavailableError('down');
      },
      applyUpdates: async () => {
        throw new StoreUnavailableError('down');
      },
      recordOffence: async () => 1,
      putBlock: async () => {},
      deleteBlock: async () => {},
    };
    setFeedbackStore(failing);
    const event = subscriptionEvent([
      JSON.stringify({ ip: '198.51.100.1', requestTimeEpoch: Date.now(), status: 404, riskBand: 'allow' }),
    ]);
    await expect(feedbackHandler(event)).rejects.toBeInstanceOf(StoreUnavailableError);
    // A delivery that cannot be decoded is dropped, not retried forever.
    await expect(feedbackHandler({ awslogs: { data: '!!' } })).resolves.toMatchObject({ lines: 0 });
    setFeedbackStore(undefined);
  });

  describe('on a global table', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
      setFeedbackStore(undefined);
    });

    it("adds to its own Region's copies of the counter items (GATEWARDEN_REGIONS, AWS_REGION)", async () => {
      // Prepare: the store the handler builds from its environment, as in Lambda (AWS_REGION stays the test's
      // us-east-1: DynamoDB Local keeps one database per Region)
      vi.stubEnv('GATEWARDEN_TABLE', table);
      vi.stubEnv('GATEWARDEN_REGIONS', 'eu-west-1,us-east-1');
      setFeedbackStore(undefined);
      const at = Date.now();
      const line = JSON.stringify({
        ip: '198.51.100.88',
        requestTimeEpoch: at,
        status: 401,
        riskBand: 'allow',
      });
      const get = (pk: string) =>
        new DynamoDBClient({}).send(
          new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: 'counter' } } }),
        );
      // Act
      await feedbackHandler(subscriptionEvent([line, line]));
      // Assess
      expect((await get('ip#198.51.100.88@us-east-1')).Item?.[`f${Math.floor(at / 60000)}`]?.N).toBe('2');
      expect((await get('ip#198.51.100.88')).Item).toBeUndefined();
    });
  });
});
