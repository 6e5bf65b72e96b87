import {
  CreateTableCommand,
  DynamoDB,
  DynamoDBClient,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { createRequestPathClient } from '../lambdas/adapters/dynamo-counter-store';
import type { DecisionRecord, EngineTelemetry } from '../lambdas/engine/engine';
import { createTableInput } from '../lambdas/store/create-table';
import { TTL_ATTRIBUTE } from '../lambdas/store/table-schema';
import type { TokenIssuer } from '../lib/local/token-issuer';
import { type Consumed, trackConsumedCapacity } from './capacity';
import { createPeerHandler, createPeerTable } from './peer/peer';

/**
 * Credentials that give a system a database of its own in DynamoDB Local, which (run without `-sharedDb`, as here)
 * keeps one database per access key and Region. In one database, calls on a table are slower the more tables were
 * created before it (measured on this machine, 3,000 items in each of the first two tables, UpdateItem p50 1.9 /
 * 3.7 / 7.7 ms on the first / second / third table; 2.3 / 2.5 / 3.8 ms on three tables in three databases): with
 * one shared database the bench would charge the systems created last for DynamoDB Local's bookkeeping. Real
 * DynamoDB has no such coupling between tables.
 */
export function localDatabase(system: string): {
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
} {
  // DynamoDB Local accepts letters and digits only in an access key id.
  return {
    credentials: { accessKeyId: `bench${system.replace(/[^A-Za-z0-9]/g, '')}`, secretAccessKey: 'bench' },
  };
}

export type LocalDatabase = ReturnType<typeof localDatabase>;

/** A Lambda context shaped like the real one, so the logger's context keys cost what they cost in Lambda. */
export const LAMBDA_CONTEXT = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'gatewarden-prod-RestAuthorizerHandlerFunction-AbCdEf123456',
  functionVersion: '$LATEST',
  invokedFunctionArn:
    'arn:aws:lambda:us-east-1:123456789012:function:gatewarden-prod-RestAuthorizerHandlerFunction-AbCdEf123456',
  memoryLimitInMB: '1024',
  awsRequestId: '8f5e9a44-1c1d-4a53-9a1e-4a2b3c4d5e6f',
  logGroupName: '/aws/lambda/gatewarden-prod-RestAuthorizerHandlerFunction-AbCdEf123456',
  logStreamName: '2026/11/23/[$LATEST]0123456789abcdef0123456789abcdef',
  getRemainingTimeInMillis: () => 5000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
} as Context;

/** Delegates to Powertools (the production telemetry) and tallies outcomes, so the run can say what happened. */
export class CountingTelemetry implements EngineTelemetry {
  readonly bands = new Map<string, number>();
  failOpen = 0;
  storeFailures = 0;
  blocks = 0;
  constructor(private readonly inner: EngineTelemetry) {}
  decision(record: DecisionRecord): void {
    this.bands.set(
      `${record.effect}/${record.band}`,
      (this.bands.get(`${record.effect}/${record.band}`) ?? 0) + 1,
    );
    if (record.failOpen) this.failOpen += 1;
    this.inner.decision(record);
  }
  storeFailure(info: { failMode: 'open' | 'closed'; error: string; elapsedMs: number }): void {
    this.storeFailures += 1;
    this.inner.storeFailure(info);
  }
  blockCreated(record: Parameters<EngineTelemetry['blockCreated']>[0]): void {
    this.blocks += 1;
    this.inner.blockCreated(record);
  }
  underAttack(engaged: boolean): void {
    this.inner.underAttack(engaged);
  }
}

export async function createGatewardenTable(name: string, db: LocalDatabase): Promise<void> {
  const client = new DynamoDBClient(db);
  await client.send(new CreateTableCommand(createTableInput(name)));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
  client.destroy();
}

/** The peer over its own table (created the way rate-limiter-flexible creates it), capacity tracked. */
export async function createPeer(issuer: TokenIssuer, tableName: string, db: LocalDatabase) {
  const client = new DynamoDB(db);
  await createPeerTable(client, tableName);
  const consumed: Consumed = trackConsumedCapacity(client);
  const jwks = (await (await fetch(issuer.jwksUri)).json()) as Parameters<
    typeof createPeerHandler
  >[0]['jwks'];
  const handler = createPeerHandler({
    issuer: issuer.issuer,
    audience: issuer.audience,
    jwksUri: issuer.jwksUri,
    tableName,
    client,
    ...(jwks ? { jwks } : {}),
  });
  return { handler, consumed };
}

/**
 * The physical floor of a counting authorizer here: one bare UpdateItem (ADD, return the new value) on the request
 * path client, with ReturnConsumedCapacity like the other two systems.
 */
export function createFloor(tableName: string, db: LocalDatabase) {
  const client = createRequestPathClient(undefined, db);
  return (key: string) =>
    client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: `floor#${key}` }, sk: { S: 'c' } },
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
}
