import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRequestPathClient, DynamoCounterStore } from '../lambdas/adapters/dynamo-counter-store';
import { createRestHandler } from '../lambdas/authorizer/handler-factory';
import { readEngineConfig } from '../lambdas/engine/config';
import { RiskEngine } from '../lambdas/engine/engine';
import { PowertoolsTelemetry } from '../lambdas/shared/observability';
import { restRequestEvent } from '../lib/local/events';
import { Fleet } from '../lib/local/fleet';
import type { TokenIssuer } from '../lib/local/token-issuer';
import { accessLogLine, FeedbackPath } from './feedback';
import type { LogCapture } from './log-capture';
import { cpuSince, Sample } from './stats';
import {
  CountingTelemetry,
  createGatewardenTable,
  LAMBDA_CONTEXT,
  type LocalDatabase,
  localDatabase,
} from './systems';
import { toEvent, type WorkItem } from './workload';

/** Requests after the flood's first block (what the flood write fraction is measured on). */
export const FLOOD_REQUESTS = 10_000;
const FLOOD_RPS = 1000;
/** The flood gives up looking for its first block after this many requests. */
const FLOOD_LIMIT = 5000;

type Effect = 'Allow' | 'Deny' | undefined;

const effectOf = (result: unknown): Effect =>
  (result as { policyDocument?: { Statement?: { Effect?: Effect }[] } } | undefined)?.policyDocument
    ?.Statement?.[0]?.Effect;

const timeOf = (event: Record<string, unknown>): number =>
  Number((event.requestContext as { requestTimeEpoch?: number } | undefined)?.requestTimeEpoch ?? Date.now());

/**
 * Gatewarden's REST authorizer as a fleet of K Lambda containers on one DynamoDB Local table (lib/local/fleet.ts):
 * each container is built as a cold start builds it — `createRestHandler` with the production runtime and a risk
 * engine over its own `DynamoCounterStore` on its own request-path client — and every request goes to a container
 * drawn at random, as API Gateway spreads a client's requests over the warm ones. Capacity is summed over the
 * containers. Metrics and logger module state are this process's, shared by the containers (the metric lines are a
 * rounding error of the log bytes).
 */
export function createGatewardenFleet(
  issuer: TokenIssuer,
  tableName: string,
  containers: number,
  db: LocalDatabase,
) {
  const env = { ...process.env, ...issuer.env(), GATEWARDEN_TABLE: tableName };
  const policy = readEngineConfig(env).policy;
  const telemetry = new CountingTelemetry(new PowertoolsTelemetry());
  const stores: DynamoCounterStore[] = [];
  const engines: RiskEngine[] = [];
  const fleet = new Fleet(
    () => {
      const store = new DynamoCounterStore({ tableName, client: createRequestPathClient(undefined, db) });
      store.trackCapacity = true;
      stores.push(store);
      const engine = new RiskEngine({ policy, store, telemetry });
      engines.push(engine);
      const handler = createRestHandler({ env, createDecider: () => engine });
      return (event: Record<string, unknown>) => handler(event, LAMBDA_CONTEXT);
    },
    { containers, seed: containers },
  );
  return {
    containers,
    tableName,
    db,
    telemetry,
    handler: (event: Record<string, unknown>) => fleet.route(timeOf(event))(event),
    /** Every container's off-path writes finished (see {@link GatewardenUnderTest.settledCall}). */
    settled: () => Promise.all(engines.map((e) => e.settled())),
    consumed: () => ({
      read: stores.reduce((s, st) => s + st.consumed.read, 0),
      write: stores.reduce((s, st) => s + st.consumed.write, 0),
    }),
    resetConsumed: () => {
      for (const st of stores) {
        st.consumed.read = 0;
        st.consumed.write = 0;
      }
    },
  };
}

/** What one Gatewarden fleet did during the run: latencies, outcomes, capacity, logs and its flood. */
export class GatewardenUnderTest {
  readonly sample = new Sample();
  readonly outcomes = { allowed: 0, other: 0, warmupRefused: 0 };
  readonly feedback: FeedbackPath;
  readonly feedbackStore: DynamoCounterStore;
  logBytes = 0;
  logLines = 0;
  /** Capacity of the measured rounds (authorizer) and of their feedback, taken by {@link endMeasured}. */
  measured = { authorizerWrites: 0, authorizerReads: 0, feedbackWrites: 0, feedbackReads: 0 };
  flood = { untilBlocked: 0, denied: 0, writes: 0, logBytes: 0 };

  private constructor(
    readonly gw: ReturnType<typeof createGatewardenFleet>,
    private readonly log: LogCapture,
  ) {
    // Off the request path, as the feedback Lambda builds it (lambdas/log-feedback/handler.ts).
    this.feedbackStore = new DynamoCounterStore({
      tableName: gw.tableName,
      client: new DynamoDBClient(gw.db),
    });
    this.feedbackStore.trackCapacity = true;
    this.feedback = new FeedbackPath(this.feedbackStore);
  }

  /** A fleet of `containers` on a fresh table of its own (fleets never see each other's counts). */
  static async create(
    issuer: TokenIssuer,
    containers: number,
    log: LogCapture,
  ): Promise<GatewardenUnderTest> {
    const tableName = `gw-bench-k${containers}-${Date.now().toString(36)}`;
    // A database of its own: no other system's table slows its calls (see `localDatabase`).
    const db = localDatabase(`gatewarden-k${containers}`);
    await createGatewardenTable(tableName, db);
    return new GatewardenUnderTest(createGatewardenFleet(issuer, tableName, containers, db), log);
  }

  get containers(): number {
    return this.gw.containers;
  }

  private async call(event: Record<string, unknown>): Promise<{ result: unknown; thrown: unknown }> {
    try {
      return { result: await this.gw.handler(event), thrown: undefined };
    } catch (error) {
      return { result: undefined, thrown: error };
    }
  }

  /**
   * One request, answered, then the writes its container started off the request's path, finished before the next
   * request (untimed): the fleet model the scenarios use (lib/local/authorizer-fleet.ts). In Lambda such a write
   * resumes when its container is next invoked and DynamoDB serves it beside other containers' calls; here the
   * containers share one process and one single-node DynamoDB Local, where it would instead queue in front of
   * whichever container's request came next and be timed as that request's latency.
   */
  private async settledCall(
    event: Record<string, unknown>,
    timed?: Sample,
  ): Promise<{ result: unknown; thrown: unknown }> {
    const out = timed ? await timed.time(() => this.call(event)) : await this.call(event);
    await this.gw.settled();
    return out;
  }

  /** Warm-up: every request should be allowed (ordinary clients); a refusal is counted. */
  async warm(items: readonly WorkItem[]): Promise<void> {
    await this.log.during(async () => {
      for (const item of items) {
        const { result } = await this.settledCall(toEvent(item));
        if (effectOf(result) !== 'Allow') this.outcomes.warmupRefused += 1;
      }
    });
    this.gw.resetConsumed();
    this.gw.telemetry.failOpen = 0;
  }

  /** One measured round: latencies, outcomes, log bytes and CPU; each answer becomes an access-log line. */
  async measure(items: readonly WorkItem[]): Promise<void> {
    const events = items.map(toEvent);
    const bytes = this.log.bytes;
    const lines = this.log.lines;
    const cpu = process.cpuUsage();
    await this.log.during(async () => {
      for (const event of events) {
        const { result, thrown } = await this.settledCall(event, this.sample);
        const latencyMs = this.sample.latenciesMs.at(-1) ?? 0;
        if (effectOf(result) === 'Allow') this.outcomes.allowed += 1;
        else this.outcomes.other += 1;
        this.feedback.add(accessLogLine(event, result, thrown, Math.round(latencyMs) + 20));
      }
    });
    this.sample.cpuUs += cpuSince(cpu);
    this.logBytes += this.log.bytes - bytes;
    this.logLines += this.log.lines - lines;
  }

  /** Delivers the feedback batches complete by `untilMs` (off the latency loop). */
  async deliver(untilMs: number): Promise<void> {
    await this.log.during(() => this.feedback.deliver(untilMs));
  }

  /** Ends the measured rounds: the rest of the feedback, then the capacity they used. */
  async endMeasured(): Promise<void> {
    await this.deliver(Number.POSITIVE_INFINITY);
    const c = this.gw.consumed();
    this.measured = {
      authorizerWrites: c.write,
      authorizerReads: c.read,
      feedbackWrites: this.feedbackStore.consumed.write,
      feedbackReads: this.feedbackStore.consumed.read,
    };
  }

  /**
   * The flood: one anonymous IP at 1,000/s until a container blocks it, then FLOOD_REQUESTS more with their feedback;
   * the writes of those (authorizer and feedback) are the flood's write cost. On K containers each learns the block
   * from the flag on the IP's item at its next sync.
   */
  async runFlood(startMs: number): Promise<void> {
    const ip = '198.51.100.77';
    let i = 0;
    const next = () =>
      restRequestEvent({
        method: 'GET',
        path: `/items/${1000 + (i % 500)}`,
        resource: '/items/{id}',
        pathParameters: { id: String(1000 + (i % 500)) },
        headers: { 'User-Agent': 'python-requests/2.32.3', Accept: '*/*' },
        sourceIp: ip,
        timeMs: startMs + Math.round((i++ * 1000) / FLOOD_RPS),
      });
    const floodFeedback = new FeedbackPath(this.feedbackStore);
    let untilBlocked = 0;
    await this.log.during(async () => {
      for (; untilBlocked < FLOOD_LIMIT; untilBlocked += 1) {
        const { result } = await this.settledCall(next());
        if ((result as { context?: { riskBand?: string } } | undefined)?.context?.riskBand === 'block') break;
      }
    });
    const w0 = this.gw.consumed().write + this.feedbackStore.consumed.write;
    const bytes0 = this.log.bytes;
    let denied = 0;
    await this.log.during(async () => {
      for (let n = 0; n < FLOOD_REQUESTS; n += 1) {
        const event = next();
        const { result, thrown } = await this.settledCall(event);
        if (effectOf(result) === 'Deny') denied += 1;
        floodFeedback.add(accessLogLine(event, result, thrown, 1));
      }
      await floodFeedback.deliver(Number.POSITIVE_INFINITY);
    });
    this.flood = {
      untilBlocked: untilBlocked + 1,
      denied,
      writes: this.gw.consumed().write + this.feedbackStore.consumed.write - w0,
      logBytes: this.log.bytes - bytes0,
    };
  }
}
