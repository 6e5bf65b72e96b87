import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { DynamoCounterStore } from '../adapters/dynamo-counter-store';
import type { CounterStore } from '../engine/ports';
import { Metrics as Names } from '../shared/metric-names';
import { logger, metrics } from '../shared/observability';
import { regionLayout } from '../store/regions';
import { type FeedbackResult, processSubscriptionEvent } from './feedback';
import { FeedbackEventError } from './parse';

let store: CounterStore | undefined;

/**
 * The store, built once per container. GATEWARDEN_TABLE is required; with GATEWARDEN_REGIONS the feedback adds to
 * this Region's copies of the counter items (another Region's concurrent writes can then never overwrite it).
 */
function getStore(): CounterStore {
  if (!store) {
    const table = process.env.GATEWARDEN_TABLE;
    if (!table) {
      throw new Error('GATEWARDEN_TABLE is required: set it to the name of the Gatewarden DynamoDB table');
    }
    // Off the request path: standard SDK retries, no tight timeouts.
    // A bad GATEWARDEN_REGIONS throws naming the variable: the delivery is retried and the error logged.
    const regions = regionLayout(process.env.GATEWARDEN_REGIONS, process.env.AWS_REGION);
    store = new DynamoCounterStore({
      tableName: table,
      client: new DynamoDBClient({}),
      ...(regions ? { regions } : {}),
    });
  }
  return store;
}

/** For tests and local tooling: use this store instead of the environment's. */
export function setFeedbackStore(s: CounterStore | undefined): void {
  store = s;
}

/**
 * CloudWatch Logs subscription consumer: reads API Gateway JSON access logs and feeds how requests ended (error
 * answers, failed logins, per-prefix volume) back into the counters. Bad lines are skipped and counted; an
 * undecodable delivery is logged and dropped (retrying cannot fix it); a store failure throws so the delivery is
 * retried.
 */
export async function feedbackHandler(event: unknown): Promise<FeedbackResult> {
  let result: FeedbackResult;
  try {
    result = await processSubscriptionEvent(event, getStore());
  } catch (error) {
    if (error instanceof FeedbackEventError) {
      logger.error('undecodable log delivery dropped', { error: error.message });
      metrics.addMetric(Names.FeedbackErrors, MetricUnit.Count, 1);
      return { lines: 0, badLines: 0, writes: 0, control: false };
    }
    metrics.addMetric(Names.FeedbackErrors, MetricUnit.Count, 1);
    logger.error('feedback store write failed; the delivery will be retried', { error: String(error) });
    throw error;
  }
  metrics.addMetric(Names.FeedbackLines, MetricUnit.Count, result.lines);
  if (result.badLines > 0) {
    metrics.addMetric(Names.FeedbackBadLines, MetricUnit.Count, result.badLines);
    logger.warn('skipped access-log lines not in the Gatewarden format', { badLines: result.badLines });
  }
  logger.debug('feedback applied', { ...result });
  return result;
}

export const handler = middy(feedbackHandler)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
