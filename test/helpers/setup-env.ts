import { inject } from 'vitest';

// Tests never reach real AWS: dummy credentials, a fixed region, and the standard endpoint override
// pointing every DynamoDB client at the run's DynamoDB Local.
process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamoEndpoint');
