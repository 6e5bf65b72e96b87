/** Nearest-rank percentile of `values` (0 < p ≤ 100); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;

/** Rounds to `digits` decimals (for the table and the JSON). */
export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** User + system CPU microseconds of this process since `start` (from `process.cpuUsage()`). */
export function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

/** Latencies and CPU of one system, accumulated over the interleaved rounds. */
export class Sample {
  readonly latenciesMs: number[] = [];
  cpuUs = 0;
  requests = 0;

  async time<T>(fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      this.latenciesMs.push(performance.now() - started);
      this.requests += 1;
    }
  }

  get p50(): number {
    return percentile(this.latenciesMs, 50);
  }
  get p99(): number {
    return percentile(this.latenciesMs, 99);
  }
  get mean(): number {
    return mean(this.latenciesMs);
  }
  /** Lambda bills each invocation rounded up to the next millisecond. */
  get meanBilledMs(): number {
    return mean(this.latenciesMs.map((ms) => Math.max(1, Math.ceil(ms))));
  }
}
