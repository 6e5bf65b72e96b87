import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { listActiveBlocks } from '../adapters/active-blocks';
import { WafIpSets } from '../adapters/waf-ip-sets';
import { logger, metrics } from '../shared/observability';
import { readWafUpdaterConfig } from './config';
import { createWafUpdater, type WafUpdater } from './updater';

/** The events the updater is wired to: its table's stream (filtered to block records) and a schedule. */
export type WafUpdaterEvent = DynamoDBStreamEvent | ScheduledEvent;

/** The updater's result: batch item failures for a stream batch, nothing for a scheduled run. */
export type WafUpdaterResult = DynamoDBBatchResponse | undefined;

/** Error for an event the updater is not wired to (a wiring mistake, so it fails loudly). */
export class UnsupportedEventError extends Error {
  constructor() {
    super('WAF updater: expected a DynamoDB Stream batch or an EventBridge scheduled event');
    this.name = 'UnsupportedEventError';
  }
}

let updater: WafUpdater | undefined;

/**
 * The updater, built once per container from the environment. Clients use the SDK's standard endpoint overrides
 * (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_WAFV2`); a bad configuration throws here, naming the variable.
 */
function getUpdater(): WafUpdater {
  if (updater) return updater;
  const config = readWafUpdaterConfig();
  const dynamo = new DynamoDBClient({});
  updater = createWafUpdater({
    config,
    activeBlocks: (now) => listActiveBlocks(dynamo, config.tableName, now),
    writer: new WafIpSets({
      onRetry: (event) => logger.warn('WAF call retried', { retry: event }),
    }),
    logger,
    metrics,
  });
  return updater;
}

/** For tests and local tooling: use this updater instead of one built from the environment. */
export function setWafUpdater(instance: WafUpdater | undefined): void {
  updater = instance;
}

/** Routes the event; all behaviour lives in {@link createWafUpdater}. */
export async function wafUpdaterHandler(event: WafUpdaterEvent): Promise<WafUpdaterResult> {
  if (isStreamEvent(event)) return getUpdater().handleStream(event);
  if (isScheduledEvent(event)) {
    await getUpdater().handleSchedule();
    return undefined;
  }
  throw new UnsupportedEventError();
}

function isStreamEvent(event: unknown): event is DynamoDBStreamEvent {
  return Array.isArray((event as { Records?: unknown } | null)?.Records);
}

function isScheduledEvent(event: unknown): event is ScheduledEvent {
  const e = event as { source?: unknown; 'detail-type'?: unknown } | null;
  return (
    e?.['detail-type'] === 'Scheduled Event' || e?.source === 'aws.events' || e?.source === 'aws.scheduler'
  );
}

/** Lambda entry point (stream trigger with ReportBatchItemFailures, and the reconcile schedule). */
export const handler = middy(wafUpdaterHandler)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
