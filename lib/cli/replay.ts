import { readFileSync, writeFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import type { CounterStore } from '../../lambdas/engine/ports';
import { isPolicyError, type Policy, resolvePolicy } from '../../lambdas/policy/policy';
import type { BlockRecord } from '../../lambdas/store/table-schema';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import type { FleetStats } from '../local/fleet';
import { MemoryCounterStore } from '../local/memory-counter-store';
import { parsePolicyText } from '../policy-file';
import { FieldMapError, parseFieldMap } from '../replay/formats/context-json';
import { type ParsedLog, parseLog } from '../replay/formats/read-log';
import type { LogFormat } from '../replay/formats/types';
import { approximations, notJudged } from '../replay/not-judged';
import { renderReplayHtml } from '../replay/report-html';
import { formatReplayReport, type ReplayMeta } from '../replay/report-text';
import { routeOf } from '../replay/requests';
import { runEngine } from '../replay/run';
import { type ReplaySummary, summarise } from '../replay/summary';
import { replayOffsetMs } from '../replay/timeline';
import { CliError } from './errors';
import { createGatewardenTable, dynamoClient } from './local-stack';

/**
 * Containers the replay models by default. Lambda runs one request per container at a time, so a stage at 1,000
 * requests/s and 5 ms per decision keeps about 5 busy, and bursts and cold starts add more (DESIGN-NOTES, "The fleet");
 * 8 is also the multi-container case of the scenario suite. More containers is the harder case for detection (each
 * sees a smaller share of a client), so the default errs towards reporting less than one container would.
 */
export const DEFAULT_REPLAY_CONTAINERS = 8;

/** Options of {@link replayAccessLog}. */
export interface ReplayOptions {
  /** The access log: Gatewarden JSON, API Gateway `$context` JSON or CLF, ALB or CloudFront. */
  readonly file: string;
  /** Policy file (JSON or YAML). @default the built-in defaults */
  readonly policyFile?: string;
  /** Force a format. @default detected from the first lines */
  readonly format?: LogFormat;
  /** Field map for `$context` JSON: `requestTime=ts,ip=client.ip`. */
  readonly map?: string;
  /** @default {@link DEFAULT_REPLAY_CONTAINERS} */
  readonly containers?: number;
  /** Seed of the fleet's routing. @default 1 */
  readonly seed?: number;
  /**
   * A DynamoDB Local endpoint to create the isolated replay table on. @default a private DynamoDB Local started
   * for the replay and stopped after it. Never the live table: the replay always creates its own.
   */
  readonly endpoint?: string;
  /** Count in memory instead of DynamoDB Local (same semantics, contract-tested; faster on big logs). */
  readonly inMemory?: boolean;
  /** Synthetic delay between a line and its feedback. @default 5000 */
  readonly logDeliveryMs?: number;
  /** Also write the HTML report here. */
  readonly htmlPath?: string;
  /** @default Date.now (only picks the day replayed times are moved to; see `timeline.ts`) */
  readonly now?: () => number;
  readonly progress?: (done: number, total: number) => void;
}

/** What the replay found, and how it was run. */
export interface ReplayResult {
  readonly summary: ReplaySummary;
  readonly meta: ReplayMeta;
  /** Block records the replay wrote on its own table (recorded times). */
  readonly blocks: readonly BlockRecord[];
  readonly fleet: FleetStats;
}

const errnoCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'error';

function readLog(options: ReplayOptions): ParsedLog {
  let text: string;
  try {
    text = readFileSync(options.file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read "${options.file}" (${errnoCode(error)})`, { cause: error, exitCode: 2 });
  }
  let map: ReturnType<typeof parseFieldMap>;
  try {
    map = parseFieldMap(options.map);
  } catch (error) {
    if (error instanceof FieldMapError) throw new CliError(error.message, { cause: error, exitCode: 2 });
    throw error;
  }
  const log = parseLog(text, { ...(options.format ? { format: options.format } : {}), map });
  if (!log) {
    throw new CliError(
      `${options.file}: format not recognised; pass --format (gatewarden, apigw-json, apigw-clf, alb, cloudfront), and --map for other JSON field names`,
      { exitCode: 2 },
    );
  }
  if (log.lines.length === 0) {
    throw new CliError(
      `${options.file}: no ${log.format} lines (${log.badLines} skipped); check --format and --map`,
      {
        exitCode: 2,
      },
    );
  }
  return log;
}

/** The policy as replay applies it: the file's, decided as enforce mode would (the table is the replay's own). */
export function loadReplayPolicy(file: string | undefined): Policy {
  if (!file) return resolvePolicy({ mode: 'enforce' });
  let document: unknown;
  try {
    document = parsePolicyText(readFileSync(file, 'utf8'), file);
  } catch (error) {
    if (isPolicyError(error)) throw new CliError(error.message, { cause: error, exitCode: 2 });
    throw new CliError(`cannot read policy file "${file}" (${errnoCode(error)})`, {
      cause: error,
      exitCode: 2,
    });
  }
  try {
    return resolvePolicy({ ...(document as object), mode: 'enforce' });
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

/** An isolated store: memory, or a fresh table on DynamoDB Local (a private one unless `endpoint`). */
async function isolatedStore(
  options: ReplayOptions,
): Promise<{ store: CounterStore; close: () => Promise<void> }> {
  if (options.inMemory) return { store: new MemoryCounterStore(), close: async () => {} };
  const ddb = options.endpoint ? undefined : await startDynamoDbLocal();
  const client: DynamoDBClient = dynamoClient(options.endpoint ?? ddb!.endpoint);
  try {
    const tableName = `gatewarden-replay-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    await createGatewardenTable(client, tableName);
    return {
      store: new DynamoCounterStore({ tableName, client }),
      close: async () => {
        client.destroy();
        await ddb?.stop();
      },
    };
  } catch (error) {
    client.destroy();
    await ddb?.stop();
    throw error;
  }
}

/**
 * Replays a recorded access log through a modelled fleet of risk engines on an isolated store and counts what enforce
 * mode would have refused. Recorded times keep their place in every counter window (moved by whole days), the fleet is
 * seeded, and the requests run one at a time: the same file and options give the same report.
 */
export async function replayAccessLog(options: ReplayOptions): Promise<ReplayResult> {
  const log = readLog(options);
  const policy = loadReplayPolicy(options.policyFile);
  const containers = options.containers ?? DEFAULT_REPLAY_CONTAINERS;
  const seed = options.seed ?? 1;
  const { store, close } = await isolatedStore(options);
  try {
    const run = await runEngine({
      lines: log.lines,
      policy,
      store,
      containers,
      seed,
      userAgentLogged: log.capabilities.userAgent,
      offsetMs: replayOffsetMs(log.lines[0]!.requestTimeEpoch, (options.now ?? Date.now)()),
      ...(options.logDeliveryMs !== undefined ? { logDeliveryMs: options.logDeliveryMs } : {}),
      ...(options.progress ? { progress: options.progress } : {}),
    });
    const routes = [...new Set(log.lines.map(routeOf))].sort();
    const meta: ReplayMeta = {
      source: options.file,
      format: log.format,
      badLines: log.badLines,
      policySource: options.policyFile ?? 'built-in defaults',
      containers,
      seed,
      notJudged: notJudged(log.capabilities, policy, routes),
      approximations: approximations(log.capabilities),
    };
    const result = {
      summary: summarise(run.requests, run.blocks),
      meta,
      blocks: run.blocks,
      fleet: run.fleet,
    };
    if (options.htmlPath) writeHtml(options.htmlPath, result);
    return result;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw CliError.fromAws(error, 'replay the access log');
  } finally {
    await close();
  }
}

function writeHtml(path: string, result: ReplayResult): void {
  try {
    writeFileSync(path, renderReplayHtml(result.summary, result.meta));
  } catch (error) {
    throw new CliError(`cannot write "${path}" (${errnoCode(error)})`, { cause: error, exitCode: 2 });
  }
}

/** The replay's report as text. */
export function formatReplay(result: ReplayResult): string {
  return formatReplayReport(result.summary, result.meta);
}
