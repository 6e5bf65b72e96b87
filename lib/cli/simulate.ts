import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type FleetStats, scenarioFleet } from '../local/fleet';
import { SIM_HEADERS } from '../local/gateway';
import { DEMO_POLICY, SCENARIOS, type Scenario } from '../local/scenarios';
import { runScenario, type ScenarioResult, type SentOutcome } from '../local/simulator';
import type { TokenIssuer } from '../local/token-issuer';
import { CliError } from './errors';
import { createGatewardenTable, startLocalStack } from './local-stack';

/** One scenario's figures for the report. */
export interface ScenarioReport extends ScenarioResult {
  /** Block records the engine wrote (all scopes). */
  readonly blocksCreated: number;
  /** Distinct addresses/prefixes the WAF IP sets held during the run. */
  readonly wafBlocked: number;
  readonly wafAddresses: readonly string[];
  /** Real time the scenario took (ms). */
  readonly wallMs: number;
  /** Authorizer containers started (initial, scale-outs, recycling) and recycled during the scenario. */
  readonly fleet: FleetStats;
}

/** Options of {@link runSimulation}. */
export interface SimulationOptions {
  readonly client: DynamoDBClient;
  readonly issuer: TokenIssuer;
  /** @default every scenario */
  readonly scenarios?: readonly Scenario[];
  /** @default 1 */
  readonly seed?: number;
  /** Duration scale passed to the generators. @default 1 */
  readonly scale?: number;
  /** Scenarios run at once, each on its own table and gateway. @default 2 */
  readonly concurrency?: number;
  /** @default DEMO_POLICY */
  readonly policy?: unknown;
  /** Called now and then with progress. */
  readonly progress?: (scenario: string, done: number, total: number) => void;
  /** Table name prefix. @default 'gatewarden-sim' */
  readonly tablePrefix?: string;
  /**
   * The authorizer as K Lambda containers (`scenarioFleet`: a steady pool of K, or the scenario's scale-out and
   * recycling plan). @default 1
   */
  readonly containers?: number;
}

/** Picks scenarios by name; unknown names are an error listing the known ones. */
export function selectScenarios(names: readonly string[] | undefined): readonly Scenario[] {
  if (!names || names.length === 0) return SCENARIOS;
  return names.map((name) => {
    const found = SCENARIOS.find((s) => s.name === name);
    if (!found) {
      throw new CliError(
        `unknown scenario "${name}": choose from ${SCENARIOS.map((s) => s.name).join(', ')}`,
        { exitCode: 2 },
      );
    }
    return found;
  });
}

/**
 * Runs scenarios through the local gateway over real HTTP on loopback: each scenario gets a fresh table, its own
 * authorizer containers, feedback path, WAF model and gateway, so scenarios never see each other's counters. The simulator sends the
 * synthetic request time, source address, backend status and label as simulation headers.
 */
export async function runSimulation(options: SimulationOptions): Promise<ScenarioReport[]> {
  const scenarios = options.scenarios ?? SCENARIOS;
  const seed = options.seed ?? 1;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const prefix = options.tablePrefix ?? 'gatewarden-sim';
  const results = new Array<ScenarioReport>(scenarios.length);
  let next = 0;

  const runOne = async (scenario: Scenario): Promise<ScenarioReport> => {
    const started = Date.now();
    const tableName = `${prefix}-${scenario.name}-${started.toString(36)}`;
    await createGatewardenTable(options.client, tableName);
    const stack = await startLocalStack({
      client: options.client,
      tableName,
      issuer: options.issuer,
      policy: options.policy ?? DEMO_POLICY,
      simulationHeaders: true,
      fleet: { ...scenarioFleet(scenario, options.containers ?? 1, options.scale ?? 1), seed },
    });
    try {
      const base = stack.gateway.restUrl;
      const send = async (
        req: Parameters<NonNullable<Parameters<typeof runScenario>[2]['send']>>[0],
        atMs: number,
        headers: Record<string, string>,
      ): Promise<SentOutcome> => {
        const query =
          req.query && Object.keys(req.query).length > 0 ? `?${new URLSearchParams(req.query)}` : '';
        const response = await fetch(`${base}${req.path}${query}`, {
          method: req.method,
          headers: {
            ...headers,
            [SIM_HEADERS.time]: String(atMs),
            [SIM_HEADERS.sourceIp]: req.ip,
            [SIM_HEADERS.backendStatus]: String(req.backendStatus),
            [SIM_HEADERS.label]: req.label,
          },
          ...(req.method === 'POST' ? { body: '{}' } : {}),
        });
        await response.arrayBuffer();
        return { status: response.status, denied: response.headers.has('x-amzn-errortype') };
      };
      const result = await runScenario(
        scenario,
        seed,
        {
          send,
          issuer: options.issuer,
          afterRequest: (i, total) => {
            if (i % 250 === 0 || i === total - 1) options.progress?.(scenario.name, i + 1, total);
          },
        },
        { startMs: Date.now(), scale: options.scale ?? 1 },
      );
      await stack.gateway.settle();
      return {
        ...result,
        blocksCreated: stack.blocksCreated.length,
        wafBlocked: stack.wafAddressesEver.size,
        wafAddresses: [...stack.wafAddressesEver].sort(),
        wallMs: Date.now() - started,
        fleet: stack.fleetStats(),
      };
    } finally {
      await stack.close();
    }
  };

  // Longest first, so the run ends when the longest scenario does.
  const order = scenarios
    .map((scenario, i) => ({ i, size: scenario.generate(seed, options.scale ?? 1).length }))
    .sort((a, b) => b.size - a.size)
    .map((e) => e.i);
  const worker = async (): Promise<void> => {
    while (next < order.length) {
      const i = order[next++]!;
      results[i] = await runOne(scenarios[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, scenarios.length) }, worker));
  return results;
}
