import type { DynamoCounterStore } from '../lambdas/adapters/dynamo-counter-store';
import type { AccessLogLine } from '../lambdas/log-feedback/access-log-format';
import { processSubscriptionEvent } from '../lambdas/log-feedback/feedback';
import { subscriptionEvent } from '../lib/local/cloudwatch-logs';
import { enforceRestResult } from '../lib/local/policy-enforcement';

/** CloudWatch Logs subscription deliveries carry about this much traffic each (the simulator's delay, too). */
export const BATCH_MS = 5000;

/**
 * The JSON access-log line API Gateway writes for a request with REST_ACCESS_LOG_FORMAT (same field order), from
 * the authorizer's answer as API Gateway enforces it. Backend answers are 200 in this workload.
 */
export function accessLogLine(
  event: Record<string, unknown>,
  result: unknown,
  thrown: unknown,
  responseLatency: number,
): AccessLogLine {
  const rc = event.requestContext as {
    requestId: string;
    requestTimeEpoch: number;
    resourcePath: string;
    path: string;
    identity: { sourceIp: string; userAgent: string };
  };
  const outcome = enforceRestResult(result, thrown, event.methodArn as string);
  const ctx = outcome.context;
  return {
    requestId: rc.requestId,
    ip: rc.identity.sourceIp,
    requestTimeEpoch: rc.requestTimeEpoch,
    httpMethod: String(event.httpMethod),
    resource: rc.resourcePath,
    path: rc.path,
    status: outcome.status,
    responseLatency,
    userAgent: rc.identity.userAgent,
    principalId: outcome.status === 200 ? outcome.principalId : '-',
    tokenHash: typeof ctx.tokenHash === 'string' ? ctx.tokenHash : '-',
    riskBand: typeof ctx.riskBand === 'string' ? ctx.riskBand : '-',
    ...(typeof ctx.riskScore === 'number' ? { riskScore: ctx.riskScore } : {}),
  };
}

/**
 * The feedback path for the same traffic: lines grouped into one subscription delivery per 5 s of request time (as
 * CloudWatch Logs batches them), each run through the real `processSubscriptionEvent` against a capacity-tracked
 * store. Delivered between measured rounds, never inside the latency loop.
 */
export class FeedbackPath {
  private readonly pending: AccessLogLine[] = [];
  bytes = 0;
  lines = 0;
  deliveries = 0;
  updates = 0;
  readonly billedMs: number[] = [];

  constructor(private readonly store: DynamoCounterStore) {}

  add(line: AccessLogLine): void {
    this.pending.push(line);
    this.lines += 1;
    this.bytes += Buffer.byteLength(JSON.stringify(line));
  }

  /** Delivers every complete 5-s batch that ends at or before `untilMs` (everything with `Infinity`). */
  async deliver(untilMs: number): Promise<void> {
    this.pending.sort((a, b) => a.requestTimeEpoch - b.requestTimeEpoch);
    while (this.pending.length > 0) {
      const windowStart = Math.floor(this.pending[0]!.requestTimeEpoch / BATCH_MS) * BATCH_MS;
      if (windowStart + BATCH_MS > untilMs) break;
      const batch: AccessLogLine[] = [];
      while (this.pending.length > 0 && this.pending[0]!.requestTimeEpoch < windowStart + BATCH_MS) {
        batch.push(this.pending.shift()!);
      }
      const started = performance.now();
      const result = await processSubscriptionEvent(
        subscriptionEvent(batch.map((l) => JSON.stringify(l))),
        this.store,
      );
      this.billedMs.push(Math.max(1, Math.ceil(performance.now() - started)));
      this.deliveries += 1;
      this.updates += result.writes;
    }
  }
}
