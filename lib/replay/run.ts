import { type DecisionRecord, type EngineTelemetry, RiskEngine } from '../../lambdas/engine/engine';
import type { CounterStore } from '../../lambdas/engine/ports';
import type { AccessLogLine } from '../../lambdas/log-feedback/access-log-format';
import { aggregateFeedback } from '../../lambdas/log-feedback/aggregate';
import type { Policy } from '../../lambdas/policy/policy';
import type { BlockRecord } from '../../lambdas/store/table-schema';
import { Fleet, type FleetStats } from '../local/fleet';
import type { ReplayLine } from './formats/types';
import { authFromLine, requestFromLine } from './requests';

/** What the engine decided for one replayed request (recorded times). */
export type ReplayDecision = Pick<
  DecisionRecord,
  | 'decisionId'
  | 'route'
  | 'ip'
  | 'subject'
  | 'tokenHash'
  | 'band'
  | 'effect'
  | 'signals'
  | 'reason'
  | 'authFailure'
  | 'authzFailure'
  | 'blocked'
>;

/** One line of the log and the decision the replay made for it. */
export interface ReplayedRequest {
  readonly line: ReplayLine;
  readonly decision: ReplayDecision;
}

export interface EngineRunOptions {
  readonly lines: readonly ReplayLine[];
  /** The policy as replay applies it (enforce mode). */
  readonly policy: Policy;
  /** The isolated store (a fresh table, or memory). */
  readonly store: CounterStore;
  /** Containers in the modelled fleet. */
  readonly containers: number;
  /** Seed of the fleet's routing draws. */
  readonly seed: number;
  /** Added to recorded times (see `timeline.ts`); removed again from everything returned. */
  readonly offsetMs: number;
  /** Delay between a request and its access-log line reaching the feedback path. @default 5000 */
  readonly logDeliveryMs?: number;
  /** The log has a user-agent field. @default some line carries a user agent */
  readonly userAgentLogged?: boolean;
  readonly progress?: (done: number, total: number) => void;
}

export interface EngineRun {
  readonly requests: readonly ReplayedRequest[];
  /** Blocks the engine recorded, in recorded time (epoch seconds). */
  readonly blocks: readonly BlockRecord[];
  readonly fleet: FleetStats;
}

/**
 * The access-log line a stage behind Gatewarden would have written for the replayed decision: refused requests never
 * reached the backend (401 from the authorizer, 403 with the band), the others keep the recorded status.
 */
export function feedbackLine(line: ReplayLine, atMs: number, decision: ReplayDecision): AccessLogLine {
  if (decision.effect === 'unauthorized') {
    return { ...line, requestTimeEpoch: atMs, status: 401, riskBand: '', principalId: '' };
  }
  if (decision.effect === 'deny')
    return { ...line, requestTimeEpoch: atMs, status: 403, riskBand: decision.band };
  return { ...line, requestTimeEpoch: atMs, riskBand: decision.band };
}

function toRecorded(d: DecisionRecord, offsetS: number): ReplayDecision {
  return {
    decisionId: d.decisionId,
    route: d.route,
    ip: d.ip,
    subject: d.subject,
    tokenHash: d.tokenHash,
    band: d.band,
    effect: d.effect,
    signals: d.signals,
    reason: d.reason,
    ...(d.authFailure ? { authFailure: d.authFailure } : {}),
    ...(d.authzFailure ? { authzFailure: d.authzFailure } : {}),
    ...(d.blocked ? { blocked: { ...d.blocked, until: d.blocked.until - offsetS } } : {}),
  };
}

/**
 * Runs the lines through a modelled fleet of risk engines, in order, one at a time: each request goes to a container
 * drawn by the seeded fleet, and its access-log line reaches the feedback path `logDeliveryMs` later. Sequential and
 * seeded, so the same lines give the same decisions.
 */
export async function runEngine(options: EngineRunOptions): Promise<EngineRun> {
  const offsetS = options.offsetMs / 1000;
  const delay = options.logDeliveryMs ?? 5000;
  const blocks: BlockRecord[] = [];
  let captured: DecisionRecord | undefined;
  const telemetry: EngineTelemetry = {
    decision: (record) => {
      captured = record;
    },
    storeFailure: () => {},
    blockCreated: (b) =>
      blocks.push({ ...b, createdAt: b.createdAt - offsetS, expiresAt: b.expiresAt - offsetS }),
    underAttack: () => {},
  };
  const fleet = new Fleet(
    // A generous budget: a slow local store must never turn into a fail-open that differs between runs.
    () => new RiskEngine({ policy: options.policy, store: options.store, storeTimeoutMs: 60_000, telemetry }),
    { containers: options.containers, seed: options.seed },
  );
  const pending: AccessLogLine[] = [];
  const deliver = async (until: number) => {
    const due: AccessLogLine[] = [];
    while (pending.length > 0 && pending[0]!.requestTimeEpoch <= until - delay) due.push(pending.shift()!);
    if (due.length > 0) await options.store.applyUpdates(aggregateFeedback(due));
  };
  const requests: ReplayedRequest[] = [];
  const total = options.lines.length;
  const userAgentLogged = options.userAgentLogged ?? options.lines.some((l) => l.userAgent !== '');
  for (const [i, line] of options.lines.entries()) {
    const at = line.requestTimeEpoch + options.offsetMs;
    await deliver(at);
    captured = undefined;
    const engine = fleet.route(at);
    await engine.decide(requestFromLine(line, at, userAgentLogged), authFromLine(line, at));
    // Its off-path writes land before the next line, so the report never depends on I/O timing.
    await engine.settled();
    if (captured) {
      const decision = toRecorded(captured, offsetS);
      requests.push({ line, decision });
      pending.push(feedbackLine(line, at, decision));
    }
    if ((i + 1) % 500 === 0 || i === total - 1) options.progress?.(i + 1, total);
  }
  await deliver(Number.POSITIVE_INFINITY);
  return { requests, blocks, fleet: fleet.stats };
}
