import { readFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import type { AuthorizerRequest, AuthResult } from '../../lambdas/authorizer/types';
import { type DecisionRecord, RiskEngine } from '../../lambdas/engine/engine';
import type { AccessLogLine } from '../../lambdas/log-feedback/access-log-format';
import { aggregateFeedback } from '../../lambdas/log-feedback/aggregate';
import { parseAccessLogLine } from '../../lambdas/log-feedback/parse';
import { isPolicyError, resolvePolicy } from '../../lambdas/policy/policy';
import { tokenHash } from '../../lambdas/shared/token-hash';
import type { BlockRecord } from '../../lambdas/store/table-schema';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { parsePolicyText } from '../policy-file';
import { CliError } from './errors';
import { createGatewardenTable, dynamoClient } from './local-stack';

/** Options of {@link replayAccessLog}. */
export interface ReplayOptions {
  /** JSON access-log lines (the project's format), one per line. */
  readonly file: string;
  /** Policy file (JSON or YAML). @default the built-in defaults */
  readonly policyFile?: string;
  /**
   * A DynamoDB Local endpoint to create the isolated replay table on. @default a private DynamoDB Local started
   * for the replay and stopped after it. Never the live table: the replay always creates its own.
   */
  readonly endpoint?: string;
  /** Synthetic delay between a line and its feedback. @default 5000 */
  readonly logDeliveryMs?: number;
  readonly progress?: (done: number, total: number) => void;
}

/** A client the policy would have refused. */
export interface ReplayHit {
  /** Subject when the line had a principal, else the IP. */
  readonly who: string;
  readonly requests: number;
  readonly deniedRequests: number;
  /** Milliseconds after the log's first line. */
  readonly firstDeniedAt: number;
  /** Reasons (signals) behind the denials, most frequent first. */
  readonly reasons: readonly string[];
}

/** What the replay found. */
export interface ReplayResult {
  readonly lines: number;
  readonly badLines: number;
  /** Requests the policy would have denied or blocked (shadow: none was). */
  readonly wouldDeny: number;
  readonly bands: Readonly<Record<string, number>>;
  /** Block records written in shadow (`simulated`) mode: who would have been blocked, and why. */
  readonly blocks: readonly BlockRecord[];
  /** Signals behind the would-be denials, with counts, most frequent first. */
  readonly signals: readonly { readonly name: string; readonly count: number }[];
  /** Lines labelled `human` that would have been denied, per person. */
  readonly humansHit: readonly ReplayHit[];
  readonly labelled: { readonly human: number; readonly bot: number; readonly botDenied: number };
  /** Span of the recorded traffic (ms). */
  readonly spanMs: number;
}

const NO_PRINCIPAL = new Set(['', '-', 'anonymous']);

/** Path parameters of `path` under a resource template (`/items/{id}`), aligned from the end (REST paths carry the stage). */
export function pathParametersFor(template: string, path: string): Record<string, string> {
  const t = template.split('/').filter(Boolean);
  const p = path.split('/').filter(Boolean);
  const out: Record<string, string> = {};
  const offset = p.length - t.length;
  if (offset < 0) return out;
  t.forEach((segment, i) => {
    const m = /^\{(\w+)\+?\}$/.exec(segment);
    if (m) out[m[1]!] = decodeURIComponent(p[i + offset] ?? '');
  });
  return out;
}

/**
 * An authorizer request rebuilt from an access-log line. The log holds no token, headers beyond the user agent, or
 * query string: query-based signals (injection in the query) cannot fire on replay.
 */
export function requestFromLine(line: AccessLogLine, timeMs: number): AuthorizerRequest {
  const method = line.httpMethod.toUpperCase();
  // HTTP APIs log the routeKey (`GET /items/{id}`), REST APIs the resource path.
  const template = line.resource.includes(' ') ? line.resource.split(' ').slice(1).join(' ') : line.resource;
  const route = line.resource.includes(' ') ? line.resource : `${method} ${line.resource}`;
  return {
    kind: line.resource.includes(' ') ? 'http-v2' : 'rest-request',
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:replay/replay/${method}${line.path}`,
    method,
    route,
    path: line.path,
    headers: line.userAgent ? { 'user-agent': line.userAgent } : {},
    query: {},
    pathParameters: pathParametersFor(template, line.path),
    clientIp: line.ip,
    timeMs,
    requestId: line.requestId || `replay-${timeMs}`,
    userAgent: line.userAgent,
    clientCert: undefined,
    rawToken: undefined,
  };
}

/**
 * What the identity layer had said, as far as the log shows it: a principal means an authenticated caller; an
 * authorizer 401 (no decision id) a failed authentication; anything else anonymous. Requests the live authorizer
 * refused carry no principal in the log, so they replay as anonymous.
 */
export function authFromLine(line: AccessLogLine, timeMs: number): AuthResult {
  if (!NO_PRINCIPAL.has(line.principalId)) {
    return {
      status: 'authenticated',
      identity: {
        subject: line.principalId,
        tokenHash: line.tokenHash || tokenHash(`replay:${line.principalId}`),
        scope: '',
        clientId: undefined,
        issuedAt: undefined,
        expiresAt: Math.floor(timeMs / 1000) + 3600,
      },
    };
  }
  if (line.status === 401 && !line.riskBand) {
    return { status: 'failed', reason: 'invalid-signature', detail: 'authorizer 401 in the recorded log' };
  }
  return { status: 'anonymous' };
}

/** Reads and parses the log; lines that are not the project's format are counted and skipped. */
export function readAccessLog(file: string): { lines: AccessLogLine[]; badLines: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read "${file}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
      exitCode: 2,
    });
  }
  const lines: AccessLogLine[] = [];
  let badLines = 0;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const line = parseAccessLogLine(raw.trim());
    if (line) lines.push(line);
    else badLines += 1;
  }
  // Stable sort: equal times keep their order in the file.
  lines.sort((a, b) => a.requestTimeEpoch - b.requestTimeEpoch);
  return { lines, badLines };
}

function loadPolicy(file: string | undefined) {
  if (!file) return resolvePolicy({ mode: 'shadow' });
  let document: unknown;
  try {
    document = parsePolicyText(readFileSync(file, 'utf8'), file);
  } catch (error) {
    if (isPolicyError(error)) throw new CliError(error.message, { cause: error, exitCode: 2 });
    throw new CliError(
      `cannot read policy file "${file}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause: error,
        exitCode: 2,
      },
    );
  }
  try {
    // Shadow whatever the file says: a replay never enforces, it reports.
    return resolvePolicy({ ...(document as object), mode: 'shadow' });
  } catch (error) {
    if (isPolicyError(error)) {
      throw new CliError(`${file}: invalid policy\n  - ${error.issues.join('\n  - ')}`, {
        cause: error,
        exitCode: 2,
      });
    }
    throw error;
  }
}

/**
 * Replays recorded access logs through the risk engine in shadow mode on an isolated table, with times shifted so the
 * first line happens now and the rest follow in order; the feedback path sees each line after `logDeliveryMs`.
 */
export async function replayAccessLog(options: ReplayOptions): Promise<ReplayResult> {
  const { lines, badLines } = readAccessLog(options.file);
  const policy = loadPolicy(options.policyFile);
  if (lines.length === 0) {
    throw new CliError(
      `${options.file}: no access-log lines in the Gatewarden format (${badLines} skipped)`,
      {
        exitCode: 2,
      },
    );
  }
  const ddb = options.endpoint ? undefined : await startDynamoDbLocal();
  const client: DynamoDBClient = dynamoClient(options.endpoint ?? ddb!.endpoint);
  try {
    const tableName = `gatewarden-replay-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    await createGatewardenTable(client, tableName);
    const store = new DynamoCounterStore({ tableName, client });
    const decisions: { record: DecisionRecord; line: AccessLogLine; at: number }[] = [];
    const blocks: BlockRecord[] = [];
    let current: { line: AccessLogLine; at: number } | undefined;
    const engine = new RiskEngine({
      policy,
      store,
      storeTimeoutMs: 10_000,
      telemetry: {
        decision: (record) => {
          if (current) decisions.push({ record, ...current });
        },
        storeFailure: () => {},
        blockCreated: (b) => blocks.push(b),
        underAttack: () => {},
      },
    });
    const first = lines[0]!.requestTimeEpoch;
    const offset = Date.now() - first;
    const delay = options.logDeliveryMs ?? 5000;
    const pending: AccessLogLine[] = [];
    const deliver = async (until: number) => {
      const due: AccessLogLine[] = [];
      while (pending.length > 0 && pending[0]!.requestTimeEpoch <= until - delay) due.push(pending.shift()!);
      if (due.length > 0) await store.applyUpdates(aggregateFeedback(due));
    };
    for (let i = 0; i < lines.length; i += 1) {
      const line = lines[i]!;
      const at = line.requestTimeEpoch + offset;
      await deliver(at);
      current = { line, at };
      await engine.decide(requestFromLine(line, at), authFromLine(line, at));
      current = undefined;
      pending.push({ ...line, requestTimeEpoch: at });
      if ((i + 1) % 500 === 0 || i === lines.length - 1) options.progress?.(i + 1, lines.length);
    }
    await deliver(Number.POSITIVE_INFINITY);
    return summarise(lines, badLines, decisions, blocks);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw CliError.fromAws(error, 'replay the access log');
  } finally {
    client.destroy();
    await ddb?.stop();
  }
}

function summarise(
  lines: readonly AccessLogLine[],
  badLines: number,
  decisions: readonly { record: DecisionRecord; line: AccessLogLine; at: number }[],
  blocks: readonly BlockRecord[],
): ReplayResult {
  const bands: Record<string, number> = {};
  const signals = new Map<string, number>();
  const hits = new Map<
    string,
    { requests: number; denied: number; first: number; reasons: Map<string, number> }
  >();
  let wouldDeny = 0;
  let human = 0;
  let bot = 0;
  let botDenied = 0;
  const t0 = decisions[0]?.at ?? 0;
  for (const { record, line, at } of decisions) {
    // In shadow mode the effect is allow; the band says what enforcement would have done. A 401 stays a 401.
    const denied = record.band === 'deny' || record.band === 'block' || record.effect === 'unauthorized';
    const riskDenied = record.band === 'deny' || record.band === 'block';
    bands[record.band] = (bands[record.band] ?? 0) + 1;
    if (riskDenied) {
      wouldDeny += 1;
      for (const s of record.signals)
        if (s.contribution > 0) signals.set(s.name, (signals.get(s.name) ?? 0) + 1);
    }
    if (line.label === 'bot') {
      bot += 1;
      if (denied) botDenied += 1;
    }
    if (line.label !== 'human') continue;
    human += 1;
    const who = NO_PRINCIPAL.has(line.principalId) ? line.ip : line.principalId;
    let h = hits.get(who);
    if (!h) {
      h = { requests: 0, denied: 0, first: -1, reasons: new Map() };
      hits.set(who, h);
    }
    h.requests += 1;
    if (riskDenied) {
      h.denied += 1;
      if (h.first < 0) h.first = at - t0;
      const why = record.signals.filter((s) => s.contribution > 0).map((s) => s.name);
      for (const r of why.length > 0 ? why : [record.reason]) h.reasons.set(r, (h.reasons.get(r) ?? 0) + 1);
    }
  }
  const byCount = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    lines: lines.length,
    badLines,
    wouldDeny,
    bands,
    blocks,
    signals: byCount(signals).map(([name, count]) => ({ name, count })),
    humansHit: [...hits.entries()]
      .filter(([, h]) => h.denied > 0)
      .map(([who, h]) => ({
        who,
        requests: h.requests,
        deniedRequests: h.denied,
        firstDeniedAt: h.first,
        reasons: byCount(h.reasons).map(([r]) => r),
      }))
      .sort((a, b) => b.deniedRequests - a.deniedRequests),
    labelled: { human, bot, botDenied },
    spanMs: (lines.at(-1)?.requestTimeEpoch ?? 0) - (lines[0]?.requestTimeEpoch ?? 0),
  };
}

/** The replay's findings as text. */
export function formatReplay(r: ReplayResult, source: string, policySource: string): string {
  const out: string[] = [];
  const pct = (n: number, d: number) => (d === 0 ? '0' : ((100 * n) / d).toFixed(1));
  out.push(
    `Replayed ${r.lines} lines from ${source} (${r.badLines} skipped), ${(r.spanMs / 1000).toFixed(0)} s of traffic, ` +
      `policy: ${policySource}, shadow mode, isolated table.`,
  );
  out.push(
    `Would have denied ${r.wouldDeny} requests (${pct(r.wouldDeny, r.lines)}%). Bands: ${Object.entries(
      r.bands,
    )
      .map(([b, n]) => `${b} ${n}`)
      .join(', ')}.`,
  );
  if (r.blocks.length === 0) out.push('Would have blocked no one.');
  else {
    out.push(`Would have blocked ${r.blocks.length} client(s):`);
    for (const b of r.blocks) {
      out.push(
        `  ${b.scope.padEnd(7)} ${b.value.padEnd(24)} for ${Math.round((b.expiresAt - b.createdAt) / 60)} min, score ${b.score}: ${b.reason}`,
      );
    }
  }
  if (r.signals.length > 0) {
    out.push(`Why (signals behind the denials): ${r.signals.map((s) => `${s.name} ${s.count}`).join(', ')}.`);
  }
  if (r.labelled.human + r.labelled.bot > 0) {
    out.push(
      `Labelled traffic: ${r.labelled.botDenied} of ${r.labelled.bot} bot requests would have been refused; ` +
        `${r.humansHit.length} human(s) would have been hit.`,
    );
    for (const h of r.humansHit) {
      out.push(
        `  human ${h.who}: ${h.deniedRequests} of ${h.requests} requests denied (first at +${Math.round(h.firstDeniedAt / 1000)} s), because: ${h.reasons.join(', ')}`,
      );
    }
  }
  return out.join('\n');
}
