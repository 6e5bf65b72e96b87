import type { Decision } from '../authorizer/types';
import type { AuthzFailure } from '../authz/route-authz';
import type { BlockRecord, BlockScope } from '../store/table-schema';
import type { Band, SignalResult } from './signals';

/** One structured line per decision (never a raw token). */
export interface DecisionRecord {
  readonly decisionId: string;
  /** API Gateway's request id, to join the decision with the access log. */
  readonly requestId: string;
  readonly route: string;
  readonly method: string;
  readonly ip: string | undefined;
  readonly subject: string | undefined;
  readonly tokenHash: string | undefined;
  readonly mode: 'enforce' | 'shadow';
  readonly band: Band;
  readonly score: number;
  /** What the caller got: allow, deny (403), unauthorized (401). */
  readonly effect: Decision['effect'];
  readonly signals: readonly Pick<
    SignalResult,
    'name' | 'contribution' | 'observed' | 'threshold' | 'reason'
  >[];
  readonly reason: string;
  readonly blocked?: {
    readonly scope: BlockScope;
    readonly value: string;
    readonly until: number;
    readonly simulated: boolean;
  };
  readonly failOpen?: boolean;
  readonly authFailure?: string;
  /** Route authorization refused a valid token (403): `require` not met. */
  readonly authzFailure?: AuthzFailure;
  readonly latencyMs: number;
}

/** Where the engine reports (Powertools Logger/Metrics in the Lambda; a collector in tests and the simulator). */
export interface EngineTelemetry {
  decision(record: DecisionRecord): void;
  storeFailure(info: {
    readonly failMode: 'open' | 'closed';
    readonly error: string;
    readonly elapsedMs: number;
  }): void;
  blockCreated(record: BlockRecord): void;
  underAttack(engaged: boolean): void;
}

export const NOOP_TELEMETRY: EngineTelemetry = {
  decision: () => {},
  storeFailure: () => {},
  blockCreated: () => {},
  underAttack: () => {},
};

/** The request's part of every decision line. */
export type DecisionBase = Pick<
  DecisionRecord,
  'decisionId' | 'requestId' | 'route' | 'method' | 'ip' | 'subject' | 'tokenHash' | 'mode'
>;

/** What a stage decided, before the line is assembled. */
export type DecisionOutcome = Omit<DecisionRecord, keyof DecisionBase | 'latencyMs'>;

/** Signals as the decision line explains them: strongest first, contributions rounded. */
export function explainSignals(top: readonly SignalResult[]): DecisionRecord['signals'] {
  return top.map(({ name, contribution, observed, threshold, reason }) => ({
    name,
    contribution: Math.round(contribution),
    observed,
    threshold,
    reason,
  }));
}

/** The one place a decision line is assembled. */
export function decisionRecord(
  base: DecisionBase,
  outcome: DecisionOutcome,
  startedMs: number,
): DecisionRecord {
  return { ...base, ...outcome, latencyMs: Math.round((performance.now() - startedMs) * 100) / 100 };
}
