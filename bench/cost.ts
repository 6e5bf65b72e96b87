/**
 * Published on-demand prices, us-east-1 (AWS price pages, checked 2026-11-23; first tier of each). The README's
 * Performance section repeats them; change both together.
 */
export const PRICES = {
  checked: '2026-11-23',
  region: 'us-east-1',
  /** Lambda, Arm (Graviton), per GB-second, first 7.5 billion GB-s a month. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Lambda, per million requests. */
  lambdaPerMillionRequests: 0.2,
  /** DynamoDB on-demand, per million write request units. */
  dynamoPerMillionWrites: 0.625,
  /** DynamoDB on-demand, per million read request units. */
  dynamoPerMillionReads: 0.125,
  /** CloudWatch Logs, Standard class, ingestion per GB. */
  logsPerGbIngested: 0.5,
} as const;

/** Memory both authorizers are priced at: Gatewarden's construct default (lib/constructs/gatewarden-authorizer.ts). */
export const LAMBDA_MEMORY_MB = 1024;

export interface CostInputs {
  /** Mean billed duration per invocation (each rounded up to 1 ms), milliseconds. */
  readonly billedMs: number;
  readonly writesPerRequest: number;
  readonly readsPerRequest: number;
  /** Log bytes ingested per request (decision lines, access-log lines). */
  readonly logBytesPerRequest: number;
  /** Feedback Lambda: billed ms per authorizer request (its invocations amortised over the requests). */
  readonly feedbackBilledMsPerRequest?: number;
  readonly feedbackInvocationsPerRequest?: number;
  readonly feedbackMemoryMb?: number;
}

export interface CostBreakdown {
  readonly lambda: number;
  readonly dynamo: number;
  readonly logs: number;
  readonly total: number;
}

/** Dollars per million authorizations. */
export function costPerMillion(i: CostInputs): CostBreakdown {
  const gbSeconds =
    (i.billedMs / 1000) * (LAMBDA_MEMORY_MB / 1024) +
    ((i.feedbackBilledMsPerRequest ?? 0) / 1000) * ((i.feedbackMemoryMb ?? 512) / 1024);
  const lambda =
    gbSeconds * 1e6 * PRICES.lambdaArmPerGbSecond +
    PRICES.lambdaPerMillionRequests * (1 + (i.feedbackInvocationsPerRequest ?? 0));
  const dynamo =
    i.writesPerRequest * PRICES.dynamoPerMillionWrites + i.readsPerRequest * PRICES.dynamoPerMillionReads;
  const logs = ((i.logBytesPerRequest * 1e6) / 1e9) * PRICES.logsPerGbIngested;
  return { lambda, dynamo, logs, total: lambda + dynamo + logs };
}
