/**
 * Process environment for the benchmark, set before any module that reads it at load time (Powertools, the SDK).
 * Dummy credentials and a fixed region: nothing leaves the machine; DynamoDB calls go to the run's DynamoDB Local
 * (AWS_ENDPOINT_URL_DYNAMODB, set once it is up). Log level INFO as in production, so the bytes the handler writes
 * are the bytes a deployed authorizer would send to CloudWatch Logs.
 */
const defaults: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_EC2_METADATA_DISABLED: 'true',
  POWERTOOLS_SERVICE_NAME: 'gatewarden',
  POWERTOOLS_METRICS_NAMESPACE: 'Gatewarden',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  POWERTOOLS_DEV: 'false',
};
for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
// Never inherit a real endpoint or profile by accident.
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;
