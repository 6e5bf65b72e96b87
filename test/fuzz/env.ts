/**
 * Environment of the standalone fuzz run, imported first by `run.ts` (before any module builds a logger or client):
 * a fixed region and dummy credentials so no SDK client looks for real ones; the WAF client is mocked and the
 * counter store is in memory, so nothing leaves the machine.
 */
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'fuzz';
process.env.AWS_SECRET_ACCESS_KEY ??= 'fuzz';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.POWERTOOLS_SERVICE_NAME ??= 'gatewarden';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'Gatewarden';
process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
