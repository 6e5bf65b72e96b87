import { prng, type Scenario } from './scenarios';

/**
 * A model of the Lambda fleet behind one authorizer, for the simulator, the scenario tests, the demo and replay.
 *
 * What it models (AWS Lambda documentation, "Understanding Lambda function scaling" and "Lambda execution
 * environment lifecycle"; see ../shared/DESIGN-NOTES.md, "The fleet"):
 * - each container (execution environment) has its own module state and serves one request at a time;
 * - which warm container serves a request is the service's choice: successive requests of one client land on
 *   whichever is free, modelled as a uniform random draw among the warm ones;
 * - a scale-out adds cold containers (empty module state), which take their share of traffic at once;
 * - containers are recycled periodically even under continuous traffic: one is retired and a cold one takes its
 *   place, losing everything it held in memory (including counts it had not written yet).
 *
 * The fleet is generic in what a container is (a handler, an engine): `create` builds a fresh one.
 */
export interface FleetOptions {
  /** Warm containers at the start. @default 1 */
  readonly containers?: number;
  /** Seed of the routing draws (reproducible runs). @default 1 */
  readonly seed?: number;
  /**
   * Scale-outs: at `atMs` (request time, ms since the run's first request) the pool grows to `containers`; the new
   * ones start cold.
   */
  readonly scaleOut?: readonly { readonly atMs: number; readonly containers: number }[];
  /**
   * Every `recycleEveryMs` of request time one container (the oldest) is replaced by a cold one.
   * @default never
   */
  readonly recycleEveryMs?: number;
}

export interface FleetStats {
  /** Containers ever started (initial, scale-outs and recycling replacements). */
  readonly started: number;
  /** Containers retired by recycling. */
  readonly recycled: number;
  /** Containers in the pool at the end. */
  readonly size: number;
}

/**
 * The fleet a scenario runs on at K containers: a steady pool of K, or the scenario's own plan (`Scenario.fleet`):
 * a quarter of K, cold, until its scale-out to K (durations scaled like the scenario's, never under three quarters
 * of them, so the surge still meets a pool that has to grow), and its recycling period. One container: steady.
 */
export function scenarioFleet(scenario: Scenario, containers: number, scale = 1): FleetOptions {
  const k = Math.max(1, Math.floor(containers));
  const plan = scenario.fleet;
  if (k === 1 || !plan) return { containers: k };
  return {
    containers: plan.scaleOutAtMs !== undefined ? Math.max(1, Math.ceil(k / 4)) : k,
    ...(plan.scaleOutAtMs !== undefined
      ? { scaleOut: [{ atMs: plan.scaleOutAtMs * Math.max(scale, 0.75), containers: k }] }
      : {}),
    ...(plan.recycleEveryMs !== undefined ? { recycleEveryMs: plan.recycleEveryMs * scale } : {}),
  };
}

/** A pool of containers with API Gateway-like routing over them. */
export class Fleet<C> {
  private readonly pool: { container: C; startedAt: number }[] = [];
  private readonly rand: () => number;
  private readonly scaleOuts: { atMs: number; containers: number }[];
  private origin: number | undefined;
  private lastRecycle = 0;
  private started = 0;
  private recycled = 0;

  constructor(
    private readonly create: () => C,
    private readonly options: FleetOptions = {},
    /** Called with a container being retired (e.g. to drop its state); nothing it held is written. */
    private readonly retire: (container: C) => void = () => {},
  ) {
    this.rand = prng((options.seed ?? 1) * 7919 + 17);
    this.scaleOuts = [...(options.scaleOut ?? [])].sort((a, b) => a.atMs - b.atMs);
    const initial = Math.max(1, Math.floor(options.containers ?? 1));
    for (let i = 0; i < initial; i += 1) this.start(0);
  }

  private start(atMs: number): void {
    this.pool.push({ container: this.create(), startedAt: atMs });
    this.started += 1;
  }

  /** The container that serves a request arriving at `atMs` (epoch ms); applies due scale-outs and recycling. */
  route(atMs: number): C {
    this.origin ??= atMs;
    const t = atMs - this.origin;
    while (this.scaleOuts.length > 0 && this.scaleOuts[0]!.atMs <= t) {
      const target = this.scaleOuts.shift()!.containers;
      while (this.pool.length < target) this.start(t);
    }
    const every = this.options.recycleEveryMs;
    if (every !== undefined && every > 0 && t - this.lastRecycle >= every) {
      this.lastRecycle = t;
      const oldest = this.pool.reduce((a, b) => (b.startedAt < a.startedAt ? b : a));
      this.pool.splice(this.pool.indexOf(oldest), 1);
      this.retire(oldest.container);
      this.recycled += 1;
      this.start(t);
    }
    return this.pool[Math.floor(this.rand() * this.pool.length)]!.container;
  }

  /** Every container now in the pool. */
  get containers(): readonly C[] {
    return this.pool.map((p) => p.container);
  }

  get stats(): FleetStats {
    return { started: this.started, recycled: this.recycled, size: this.pool.length };
  }
}
