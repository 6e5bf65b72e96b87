import type { BlockRecord, BlockScope } from '../../lambdas/store/table-schema';
import type { ReplayedRequest } from './run';
import { classifyRequests, clientOf, type Refusal } from './tally';

/** Refused requests and the distinct clients behind them. */
export interface RefusedCount {
  readonly requests: number;
  readonly ips: number;
  readonly subjects: number;
  readonly humanRequests: number;
  readonly botRequests: number;
}

export interface RouteRow extends RefusedCount {
  readonly route: string;
  readonly total: number;
}

export interface CauseRow extends RefusedCount {
  readonly cause: string;
}

/** One client that would have been blocked, however many times. */
export interface BlockedClient {
  readonly scope: BlockScope;
  readonly value: string;
  readonly blocks: number;
  /** Time under block (the union of its block windows), seconds. */
  readonly blockedSeconds: number;
  /** Recorded epoch ms of its first block. */
  readonly firstAt: number;
  readonly reasons: readonly string[];
  /** Requests refused because of this block. */
  readonly refusedRequests: number;
  /** Labels of the lines it refused or that triggered it: `bot`, `human`, `mixed`; '' when unlabelled. */
  readonly label: string;
}

export interface ClientRow {
  readonly client: string;
  readonly requests: number;
  readonly refused: number;
  /** ms after the log's first line. */
  readonly firstRefusedAt: number;
  readonly causes: readonly string[];
  readonly label: string;
}

export interface LabelSplit {
  readonly requests: number;
  readonly refused: number;
  readonly clients: number;
  readonly refusedClients: number;
}

/** A point of the decisions-over-time chart. */
export interface TimelineEntry {
  /** ms after the log's first line. */
  readonly at: number;
  readonly refused: boolean;
  readonly label: 'human' | 'bot' | undefined;
}

export interface ReplaySummary {
  readonly requests: number;
  readonly firstAt: number;
  readonly spanMs: number;
  readonly refused: RefusedCount;
  readonly byCause: readonly CauseRow[];
  readonly byRoute: readonly RouteRow[];
  readonly blockedClients: readonly BlockedClient[];
  /** Requests under a block that reached a container which had not read the block yet (counted as refused). */
  readonly unseenBlockRequests: number;
  readonly topClients: readonly ClientRow[];
  readonly humansHit: readonly ClientRow[];
  readonly humans: LabelSplit;
  readonly bots: LabelSplit;
  readonly bands: Readonly<Record<string, number>>;
  readonly timeline: readonly TimelineEntry[];
}

/** Distinct-set counter for refused requests. */
class RefusedCounter {
  requests = 0;
  humanRequests = 0;
  botRequests = 0;
  readonly ips = new Set<string>();
  readonly subjects = new Set<string>();

  add(r: ReplayedRequest): void {
    this.requests += 1;
    if (r.line.label === 'human') this.humanRequests += 1;
    if (r.line.label === 'bot') this.botRequests += 1;
    if (r.decision.ip) this.ips.add(r.decision.ip);
    if (r.decision.subject) this.subjects.add(r.decision.subject);
  }

  get count(): RefusedCount {
    const { requests, humanRequests, botRequests } = this;
    return { requests, ips: this.ips.size, subjects: this.subjects.size, humanRequests, botRequests };
  }
}

const byRefusedThenName =
  <T extends { requests: number }>(key: (t: T) => string) =>
  (a: T, b: T) =>
    b.requests - a.requests || key(a).localeCompare(key(b));

function causeRows(
  requests: readonly ReplayedRequest[],
  refusals: readonly (Refusal | undefined)[],
): CauseRow[] {
  const rows = new Map<string, RefusedCounter>();
  requests.forEach((r, i) => {
    const refusal = refusals[i];
    if (!refusal) return;
    const c = rows.get(refusal.cause) ?? new RefusedCounter();
    c.add(r);
    rows.set(refusal.cause, c);
  });
  return [...rows.entries()]
    .map(([cause, c]) => ({ cause, ...c.count }))
    .sort(byRefusedThenName((r) => r.cause));
}

function routeRows(
  requests: readonly ReplayedRequest[],
  refusals: readonly (Refusal | undefined)[],
): RouteRow[] {
  const rows = new Map<string, { total: number; refused: RefusedCounter }>();
  requests.forEach((r, i) => {
    const row = rows.get(r.decision.route) ?? { total: 0, refused: new RefusedCounter() };
    row.total += 1;
    if (refusals[i]) row.refused.add(r);
    rows.set(r.decision.route, row);
  });
  return [...rows.entries()]
    .map(([route, row]) => ({ route, total: row.total, ...row.refused.count }))
    .sort((a, b) => b.requests - a.requests || b.total - a.total || a.route.localeCompare(b.route));
}

const labelOf = (labels: ReadonlySet<string>): string =>
  labels.size === 0 ? '' : labels.size > 1 ? 'mixed' : [...labels][0]!;

/** Total length of the union of [start, end) intervals. */
export function unionSeconds(windows: readonly (readonly [number, number])[]): number {
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [s, e] of sorted) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}

function blockedClients(
  requests: readonly ReplayedRequest[],
  refusals: readonly (Refusal | undefined)[],
  blocks: readonly BlockRecord[],
): BlockedClient[] {
  const triggers = new Map(requests.map((r) => [r.decision.decisionId, r]));
  const groups = new Map<string, BlockRecord[]>();
  for (const b of blocks) {
    const key = `${b.scope} ${b.value}`;
    groups.set(key, [...(groups.get(key) ?? []), b]);
  }
  return [...groups.entries()]
    .map(([key, list]) => {
      const labels = new Set<string>();
      let refusedRequests = 0;
      requests.forEach((r, i) => {
        if (refusals[i]?.blockKey !== key) return;
        refusedRequests += 1;
        if (r.line.label) labels.add(r.line.label);
      });
      for (const b of list) {
        const label = triggers.get(b.decisionId ?? '')?.line.label;
        if (label) labels.add(label);
      }
      return {
        scope: list[0]!.scope,
        value: list[0]!.value,
        blocks: list.length,
        blockedSeconds: unionSeconds(list.map((b) => [b.createdAt, b.expiresAt] as const)),
        firstAt: Math.min(...list.map((b) => b.createdAt)) * 1000,
        reasons: [...new Set(list.map((b) => b.reason))].sort(),
        refusedRequests,
        label: labelOf(labels),
      };
    })
    .sort((a, b) => a.firstAt - b.firstAt || `${a.scope} ${a.value}`.localeCompare(`${b.scope} ${b.value}`));
}

function clientRows(
  requests: readonly ReplayedRequest[],
  refusals: readonly (Refusal | undefined)[],
  firstAt: number,
): ClientRow[] {
  const rows = new Map<
    string,
    { requests: number; refused: number; first: number; causes: Map<string, number>; labels: Set<string> }
  >();
  requests.forEach((r, i) => {
    const who = clientOf(r.decision);
    const row = rows.get(who) ?? { requests: 0, refused: 0, first: -1, causes: new Map(), labels: new Set() };
    row.requests += 1;
    if (r.line.label) row.labels.add(r.line.label);
    const refusal = refusals[i];
    if (refusal) {
      row.refused += 1;
      if (row.first < 0) row.first = r.line.requestTimeEpoch - firstAt;
      row.causes.set(refusal.cause, (row.causes.get(refusal.cause) ?? 0) + 1);
    }
    rows.set(who, row);
  });
  return [...rows.entries()]
    .filter(([, r]) => r.refused > 0)
    .map(([client, r]) => ({
      client,
      requests: r.requests,
      refused: r.refused,
      firstRefusedAt: r.first,
      causes: [...r.causes.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c),
      label: labelOf(r.labels),
    }))
    .sort((a, b) => b.refused - a.refused || a.client.localeCompare(b.client));
}

function labelSplit(
  requests: readonly ReplayedRequest[],
  refusals: readonly (Refusal | undefined)[],
  label: 'human' | 'bot',
): LabelSplit {
  const clients = new Set<string>();
  const refusedClients = new Set<string>();
  let count = 0;
  let refused = 0;
  requests.forEach((r, i) => {
    if (r.line.label !== label) return;
    count += 1;
    clients.add(clientOf(r.decision));
    if (refusals[i]) {
      refused += 1;
      refusedClients.add(clientOf(r.decision));
    }
  });
  return { requests: count, refused, clients: clients.size, refusedClients: refusedClients.size };
}

/** Counts the enforce-mode answer of a replay (pure). */
export function summarise(
  requests: readonly ReplayedRequest[],
  blocks: readonly BlockRecord[],
): ReplaySummary {
  const { refusals, unseenBlockRequests } = classifyRequests(requests, blocks);
  const firstAt = requests[0]?.line.requestTimeEpoch ?? 0;
  const total = new RefusedCounter();
  const bands: Record<string, number> = {};
  requests.forEach((r, i) => {
    if (refusals[i]) total.add(r);
    bands[r.decision.band] = (bands[r.decision.band] ?? 0) + 1;
  });
  const clients = clientRows(requests, refusals, firstAt);
  return {
    requests: requests.length,
    firstAt,
    spanMs: (requests.at(-1)?.line.requestTimeEpoch ?? firstAt) - firstAt,
    refused: total.count,
    byCause: causeRows(requests, refusals),
    byRoute: routeRows(requests, refusals),
    blockedClients: blockedClients(requests, refusals, blocks),
    unseenBlockRequests,
    topClients: clients.slice(0, 10),
    humansHit: clients.filter((c) => c.label === 'human' || c.label === 'mixed'),
    humans: labelSplit(requests, refusals, 'human'),
    bots: labelSplit(requests, refusals, 'bot'),
    bands,
    timeline: requests.map((r, i) => ({
      at: r.line.requestTimeEpoch - firstAt,
      refused: refusals[i] !== undefined,
      label: r.line.label,
    })),
  };
}
