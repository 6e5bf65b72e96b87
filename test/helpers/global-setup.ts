import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** Starts one DynamoDB Local for the whole run and hands its endpoint to the tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ddb = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', ddb.endpoint);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
  return () => ddb.stop();
}
