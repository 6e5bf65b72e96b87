/** Figures of one Gatewarden fleet (K containers) that the table and the targets need. */
export interface FleetFigures {
  readonly containers: number;
  readonly rest_p50_ms: number;
  readonly rest_p99_ms: number;
  readonly rest_p50_ratio_vs_floor: number;
  readonly rest_p99_ratio_vs_floor: number;
  readonly peer_p50_ratio: number;
  readonly writes_per_request: number;
  readonly reads_per_request: number;
  readonly authorizer_writes_per_request: number;
  readonly feedback_writes_per_request: number;
  readonly flood_write_fraction: number;
  readonly flood_requests_until_blocked: number;
  readonly cost_per_million_usd: number;
  readonly process_cpu_us_per_request: number;
  readonly decision_log_bytes_per_request: number;
  readonly access_log_bytes_per_request: number;
  readonly outcomes: { readonly rest_warmup_refused: number };
}

/** The figures the table and the targets need (a subset of the JSON): K = 1 at the top level, K = 8 in `k8`. */
export interface Figures extends FleetFigures {
  readonly k8: FleetFigures;
  readonly floor_p50_ms: number;
  readonly floor_p99_ms: number;
  readonly peer_p50_ms: number;
  readonly peer_p99_ms: number;
  readonly cpu_us_per_decision: number;
  readonly rs256_verify_us: number;
  readonly cpu_ratio_vs_verify: number;
  readonly peer_writes_per_request: number;
  readonly peer_reads_per_request: number;
  readonly peer_cost_per_million_usd: number;
  readonly bundle_bytes: number;
  readonly peer_bundle_bytes: number;
  readonly init_ms: number;
  readonly peer_init_ms: number;
  readonly peer_process_cpu_us_per_request: number;
}

type Target = { target: string; value: number; met: boolean };

/** The targets one fleet must meet; the same for every K. */
function fleetTargets(f: FleetFigures): Record<string, Target> {
  return {
    p50_vs_floor: {
      target: '≤ 1.15',
      value: f.rest_p50_ratio_vs_floor,
      met: f.rest_p50_ratio_vs_floor <= 1.15,
    },
    p99_vs_floor: { target: '≤ 2', value: f.rest_p99_ratio_vs_floor, met: f.rest_p99_ratio_vs_floor <= 2 },
    p50_vs_peer: { target: '≤ 0.7', value: f.peer_p50_ratio, met: f.peer_p50_ratio <= 0.7 },
    writes_per_request: { target: '≤ 1.0', value: f.writes_per_request, met: f.writes_per_request <= 1 },
    flood_write_fraction: {
      target: '≤ 0.01',
      value: f.flood_write_fraction,
      met: f.flood_write_fraction <= 0.01,
    },
    cost_per_million_usd: {
      target: '≤ 1.00',
      value: f.cost_per_million_usd,
      met: f.cost_per_million_usd <= 1,
    },
    warmup_refused: {
      target: '0',
      value: f.outcomes.rest_warmup_refused,
      met: f.outcomes.rest_warmup_refused === 0,
    },
  };
}

/**
 * The targets, each with whether this run meets it: every per-request target at K = 1 (unsuffixed, as
 * earlier runs named them) and at K = 8 (`_k8`), then those that do not depend on the fleet.
 */
export function targets(f: Figures): Record<string, Target> {
  const one = fleetTargets(f);
  const eight = Object.fromEntries(Object.entries(fleetTargets(f.k8)).map(([k, v]) => [`${k}_k8`, v]));
  return {
    ...one,
    ...eight,
    cpu_vs_rs256: { target: '≤ 1.5', value: f.cpu_ratio_vs_verify, met: f.cpu_ratio_vs_verify <= 1.5 },
    bundle_vs_peer: {
      target: '≤ peer',
      value: f.bundle_bytes,
      met: f.bundle_bytes <= f.peer_bundle_bytes,
    },
    init_vs_peer: { target: '≤ peer', value: f.init_ms, met: f.init_ms <= f.peer_init_ms },
  };
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** A fixed-width table: metric, Gatewarden at K = 1 and K = 8, peer, floor. */
export function table(f: Figures): string {
  const both = (pick: (g: FleetFigures) => string | number): [string, string] => [
    `${pick(f)}`,
    `${pick(f.k8)}`,
  ];
  const rows: string[][] = [
    ['', `Gatewarden K=${f.containers}`, `Gatewarden K=${f.k8.containers}`, 'peer', 'floor'],
    ['p50 ms', ...both((g) => g.rest_p50_ms), `${f.peer_p50_ms}`, `${f.floor_p50_ms}`],
    ['p99 ms', ...both((g) => g.rest_p99_ms), `${f.peer_p99_ms}`, `${f.floor_p99_ms}`],
    ['p50 / floor', ...both((g) => g.rest_p50_ratio_vs_floor), '', '1'],
    ['p99 / floor', ...both((g) => g.rest_p99_ratio_vs_floor), '', '1'],
    ['p50 / peer p50', ...both((g) => g.peer_p50_ratio), '1', ''],
    ['write units / request', ...both((g) => g.writes_per_request), `${f.peer_writes_per_request}`, '1'],
    ['  authorizer', ...both((g) => g.authorizer_writes_per_request), '', ''],
    ['  feedback path', ...both((g) => g.feedback_writes_per_request), '', ''],
    ['read units / request', ...both((g) => g.reads_per_request), `${f.peer_reads_per_request}`, ''],
    ['flood write fraction', ...both((g) => g.flood_write_fraction), '', ''],
    ['flood until blocked', ...both((g) => g.flood_requests_until_blocked), '', ''],
    [
      'log bytes / request',
      ...both((g) => `${g.decision_log_bytes_per_request} + ${g.access_log_bytes_per_request} access`),
      '0',
      '',
    ],
    ['$ / million', ...both((g) => g.cost_per_million_usd), `${f.peer_cost_per_million_usd}`, ''],
    [
      'process CPU µs / request',
      ...both((g) => g.process_cpu_us_per_request),
      `${f.peer_process_cpu_us_per_request}`,
      '',
    ],
    ['warm-up refused', ...both((g) => g.outcomes.rest_warmup_refused), '', ''],
    ['engine CPU µs / decision', `${f.cpu_us_per_decision}`, '', '', ''],
    ['RS256 verify µs', `${f.rs256_verify_us}`, '', '', ''],
    ['bundle bytes', `${f.bundle_bytes}`, '', `${f.peer_bundle_bytes}`, ''],
    ['init ms (cold import)', `${f.init_ms}`, '', `${f.peer_init_ms}`, ''],
  ];
  const lines = rows.map(
    ([a, b, c, d, e]) => `${pad(a!, 26)}${pad(b!, 24)}${pad(c!, 24)}${pad(d!, 14)}${e ?? ''}`,
  );
  const t = targets(f);
  lines.push('', 'targets:');
  for (const [name, v] of Object.entries(t)) {
    lines.push(`  ${pad(name, 26)}${pad(v.target, 9)}${pad(String(v.value), 12)}${v.met ? 'met' : 'MISSED'}`);
  }
  return lines.join('\n');
}
