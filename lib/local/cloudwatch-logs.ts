import { gzipSync } from 'node:zlib';

/**
 * Wraps log lines as a CloudWatch Logs subscription delivery (`{ awslogs: { data } }`, base64 of gzip of JSON),
 * exactly as Lambda receives it from a subscription filter.
 */
export function subscriptionEvent(
  messages: readonly string[],
  options: { logGroup?: string; logStream?: string; startTime?: number } = {},
): { awslogs: { data: string } } {
  const start = options.startTime ?? Date.now();
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: options.logGroup ?? '/aws/apigateway/gatewarden-access',
    logStream: options.logStream ?? 'local',
    subscriptionFilters: ['gatewarden-feedback'],
    logEvents: messages.map((message, i) => ({ id: String(start + i), timestamp: start + i, message })),
  };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString('base64') } };
}
