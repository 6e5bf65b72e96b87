import type { LogFormat } from './formats/types';
import type { ReplaySummary } from './summary';

/** What the report says about how the replay was run. */
export interface ReplayMeta {
  readonly source: string;
  readonly format: LogFormat;
  readonly badLines: number;
  readonly policySource: string;
  readonly containers: number;
  readonly seed: number;
  readonly notJudged: readonly string[];
  readonly approximations: readonly string[];
}

const FORMAT_NAMES: Readonly<Record<LogFormat, string>> = {
  gatewarden: 'Gatewarden JSON',
  'apigw-json': 'API Gateway $context JSON',
  'apigw-clf': 'API Gateway CLF',
  alb: 'ALB access log',
  cloudfront: 'CloudFront standard log',
};

export const pct = (n: number, d: number): string => (d === 0 ? '0.0%' : `${((100 * n) / d).toFixed(1)}%`);

/** `+hh:mm:ss` after the log's first line. */
export function offset(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  return `+${hh}:${mm}:${String(s % 60).padStart(2, '0')}`;
}

/** `1 h 30 min`, `15 min`, `40 s`. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const min = Math.round(seconds / 60);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}

/** A fixed-width table: first column left-aligned, the rest right-aligned. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  indent = '  ',
): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** A table's headers and rows, shared by the text and the HTML report. */
export interface Rows {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Refused requests per cause; the humans/bots columns only when lines are labelled. */
export function causeRows(s: ReplaySummary, labelled = true): Rows {
  return {
    headers: ['refused by', 'requests', 'IPs', 'subjects', ...(labelled ? ['humans', 'bots'] : [])],
    rows: s.byCause.map((c) => [
      c.cause,
      String(c.requests),
      String(c.ips),
      String(c.subjects),
      ...(labelled ? [String(c.humanRequests), String(c.botRequests)] : []),
    ]),
  };
}

export function routeRows(s: ReplaySummary): Rows {
  return {
    headers: ['route', 'requests', 'refused', 'IPs', 'subjects'],
    rows: s.byRoute.map((r) => [
      r.route,
      String(r.total),
      String(r.requests),
      String(r.ips),
      String(r.subjects),
    ]),
  };
}

export function blockRows(s: ReplaySummary): Rows {
  return {
    headers: ['client', 'blocks', 'blocked for', 'first at', 'refused', 'label', 'why'],
    rows: s.blockedClients.map((b) => [
      `${b.scope} ${b.value}`,
      String(b.blocks),
      duration(b.blockedSeconds),
      offset(b.firstAt - s.firstAt),
      String(b.refusedRequests),
      b.label || '-',
      b.reasons.join('; '),
    ]),
  };
}

export function clientRows(s: ReplaySummary): Rows {
  return {
    headers: ['client', 'refused', 'of', 'label', 'first at', 'refused by'],
    rows: s.topClients.map((c) => [
      c.client,
      String(c.refused),
      String(c.requests),
      c.label || '-',
      offset(c.firstRefusedAt),
      c.causes.join(', '),
    ]),
  };
}

const textTable = (t: Rows): string[] => table(t.headers, t.rows);

function header(s: ReplaySummary, m: ReplayMeta): string[] {
  return [
    `Replayed ${s.requests} requests from ${m.source} (${FORMAT_NAMES[m.format]}, ${m.badLines} line(s) skipped), ` +
      `${duration(s.spanMs / 1000)} of traffic from ${new Date(s.firstAt).toISOString()}.`,
    `Policy: ${m.policySource}, decided as enforce mode would on an isolated table; fleet model: ${m.containers} container(s), seed ${m.seed}.`,
  ];
}

function caveats(m: ReplayMeta): string[] {
  const out: string[] = [];
  if (m.notJudged.length > 0)
    out.push('Not judged (the log does not carry their input):', ...m.notJudged.map((n) => `  - ${n}`));
  if (m.approximations.length > 0) out.push('Approximated:', ...m.approximations.map((n) => `  - ${n}`));
  return out;
}

function refusedLines(s: ReplaySummary): string[] {
  const r = s.refused;
  const out = [
    `Would have refused ${r.requests} of ${s.requests} requests (${pct(r.requests, s.requests)}), from ${r.ips} IP(s) and ${r.subjects} subject(s).`,
  ];
  if (s.byCause.length === 0) return out;
  out.push(...textTable(causeRows(s, s.humans.requests + s.bots.requests > 0)), ...textTable(routeRows(s)));
  if (s.unseenBlockRequests > 0) {
    out.push(
      `  (${s.unseenBlockRequests} request(s) under a block reached a container that had not read it yet; counted as refused)`,
    );
  }
  return out;
}

function blockLines(s: ReplaySummary): string[] {
  if (s.blockedClients.length === 0) return ['Would have blocked no one.'];
  const byScope = new Map<string, number>();
  for (const b of s.blockedClients) byScope.set(b.scope, (byScope.get(b.scope) ?? 0) + 1);
  const scopes = [...byScope.entries()].map(([scope, n]) => `${n} ${scope}`).join(', ');
  return [
    `Would have blocked ${s.blockedClients.length} distinct client(s) (${scopes}):`,
    ...textTable(blockRows(s)),
  ];
}

function labelLines(s: ReplaySummary): string[] {
  const { humans, bots } = s;
  if (humans.requests + bots.requests === 0) return [];
  const out = [
    `Labelled traffic: bots ${bots.refused} of ${bots.requests} requests refused (${pct(bots.refused, bots.requests)}; ` +
      `${bots.refusedClients} of ${bots.clients} clients); humans ${humans.refused} of ${humans.requests} requests refused ` +
      `(${humans.refusedClients} of ${humans.clients} people).`,
  ];
  for (const h of s.humansHit) {
    out.push(
      `  human ${h.client}: ${h.refused} of ${h.requests} requests refused (first at ${offset(h.firstRefusedAt)}): ${h.causes.join(', ')}`,
    );
  }
  return out;
}

function topClientLines(s: ReplaySummary): string[] {
  if (s.topClients.length === 0) return [];
  return ['Most refused clients:', ...textTable(clientRows(s))];
}

/** The replay's report as text: the same summary always prints the same bytes. */
export function formatReplayReport(s: ReplaySummary, m: ReplayMeta): string {
  return [
    ...header(s, m),
    ...caveats(m),
    ...refusedLines(s),
    ...blockLines(s),
    ...labelLines(s),
    ...topClientLines(s),
  ].join('\n');
}
