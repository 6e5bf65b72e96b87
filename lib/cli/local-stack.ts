import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { listActiveBlocks } from '../../lambdas/adapters/active-blocks';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import { WafIpSets } from '../../lambdas/adapters/waf-ip-sets';
import type { DecisionRecord } from '../../lambdas/engine/engine';
import { parseIpSetArn } from '../../lambdas/ipset/ip-set-arn';
import type { AccessLogLine } from '../../lambdas/log-feedback/access-log-format';
import { processSubscriptionEvent } from '../../lambdas/log-feedback/feedback';
import { type Policy, resolvePolicy } from '../../lambdas/policy/policy';
import { createTableInput } from '../../lambdas/store/create-table';
import { type BlockRecord, TTL_ATTRIBUTE } from '../../lambdas/store/table-schema';
import { createWafUpdater } from '../../lambdas/waf-updater/updater';
import { createAuthorizerFleet } from '../local/authorizer-fleet';
import type { FleetOptions, FleetStats } from '../local/fleet';
import { type LocalGateway, startLocalGateway } from '../local/gateway';
import type { TokenIssuer } from '../local/token-issuer';
import { mockWafClient, WafModel } from '../local/waf-model';
import { CliError } from './errors';

/** Static dummy credentials: DynamoDB Local accepts any, and a local run must never fall back to a real profile. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A DynamoDB client for `endpoint` (local) or, without one, the standard credential chain and Region. */
export function dynamoClient(endpoint?: string, region?: string): DynamoDBClient {
  if (endpoint) {
    return new DynamoDBClient({
      endpoint,
      region: region ?? process.env.AWS_REGION ?? 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
  }
  return new DynamoDBClient(region ? { region } : {});
}

/**
 * Creates the Gatewarden table (keys, active-blocks index, stream) and turns TTL on.
 * @throws {CliError} when the table exists or the endpoint cannot be reached.
 */
export async function createGatewardenTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceInUseException') {
      throw new CliError(`table "${tableName}" already exists: use it as it is, or choose another --table`, {
        cause: error,
      });
    }
    throw CliError.fromAws(error, `create table "${tableName}"`);
  }
}

// Metrics would print EMF lines to stdout in a terminal; the local stack reports through its own figures.
const NO_METRICS = {
  addMetric: () => {},
  publishStoredMetrics: () => {},
  singleMetric: () => ({ addDimension: () => {}, addMetric: () => {} }),
} as unknown as Metrics;
const SILENT = new Logger({ logLevel: 'SILENT' });

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  readonly client: DynamoDBClient;
  /** An existing Gatewarden table (see {@link createGatewardenTable}). */
  readonly tableName: string;
  readonly issuer: TokenIssuer;
  /** The policy document (validated here). */
  readonly policy: unknown;
  /** Gateway port. @default a free port */
  readonly port?: number;
  /** @default false */
  readonly simulationHeaders?: boolean;
  /** Each access-log line as written. */
  readonly accessLog?: (line: AccessLogLine) => void;
  /** Each decision the engine makes. */
  readonly onDecision?: (record: DecisionRecord) => void;
  /** Scheduled WAF reconcile (real ms). @default off */
  readonly wafEveryMs?: number;
  /**
   * The authorizer as a fleet of Lambda containers (lib/local/fleet.ts): each its own handlers and engine, requests
   * spread over the warm ones, scale-outs and recycling as given. @default one container
   */
  readonly fleet?: FleetOptions;
}

/** Everything `npm start` runs besides DynamoDB Local and the issuer. */
export interface LocalStack {
  readonly gateway: LocalGateway;
  readonly policy: Policy;
  readonly waf: WafModel;
  /** Every address the IP sets held at some point (what reached the edge). */
  readonly wafAddressesEver: ReadonlySet<string>;
  /** The IP sets' addresses now. */
  wafAddresses(): string[];
  readonly blocksCreated: BlockRecord[];
  /** Containers started and recycled so far. */
  fleetStats(): FleetStats;
  close(): Promise<void>;
}

/**
 * Wires the real handlers to a table: the REST and HTTP authorizers (one container, or a fleet), the feedback path, the WAF updater
 * against the WAF model (one IPv4 and one IPv6 set), all behind the local gateway.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const policy = resolvePolicy(options.policy);
  const store = new DynamoCounterStore({ tableName: options.tableName, client: options.client });
  const blocksCreated: BlockRecord[] = [];
  const authorizers = createAuthorizerFleet({
    ...(options.fleet ?? { containers: 1 }),
    policy,
    store,
    env: { ...options.issuer.env() },
    // DynamoDB Local on a small machine is much slower than the service; the 350 ms budget is tested elsewhere.
    storeTimeoutMs: 5000,
    telemetry: {
      decision: (d) => options.onDecision?.(d),
      storeFailure: () => {},
      blockCreated: (b) => blocksCreated.push(b),
      underAttack: () => {},
    },
  });

  const waf = new WafModel();
  const v4 = waf.createIpSet({ name: 'gatewarden-blocked-v4', version: 'IPV4' });
  const v6 = waf.createIpSet({ name: 'gatewarden-blocked-v6', version: 'IPV6' });
  const wafClient = new WAFV2Client({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const stub = mockWafClient(waf, { client: wafClient });
  const wafAddresses = () => [...waf.addresses(v4.arn), ...waf.addresses(v6.arn)];
  const wafAddressesEver = new Set<string>();
  let gateway: LocalGateway | undefined;
  const updater = createWafUpdater({
    config: {
      tableName: options.tableName,
      ipSets: { IPV4: [parseIpSetArn(v4.arn)], IPV6: [parseIpSetArn(v6.arn)] },
      highWater: 9_500,
      collapseMinEntries: 8,
    },
    activeBlocks: (now) => listActiveBlocks(options.client, options.tableName, now),
    writer: new WafIpSets({ clientFor: () => wafClient }),
    logger: SILENT,
    metrics: NO_METRICS,
    // Block times follow the traffic's clock (synthetic under simulation).
    nowSeconds: () => Math.floor((gateway?.now() ?? Date.now()) / 1000),
  });

  gateway = await startLocalGateway({
    rest: (event, context) => authorizers.rest(event, context),
    http: (event, context) => authorizers.http(event, context),
    feedback: (event) => processSubscriptionEvent(event, store),
    accessLog: options.accessLog,
    wafReconcile: async () => {
      await updater.reconcileNow('stream');
      for (const address of wafAddresses()) wafAddressesEver.add(address);
    },
    wafEveryMs: options.wafEveryMs,
    simulationHeaders: options.simulationHeaders ?? false,
    port: options.port,
    // The shop's body-taking routes run behind the body middleware, on the same table the authorizer reads.
    bodyInspection: { store, logger: SILENT, metrics: NO_METRICS },
  });

  const g = gateway;
  return {
    gateway: g,
    policy,
    waf,
    wafAddressesEver,
    wafAddresses,
    blocksCreated,
    fleetStats: () => authorizers.stats,
    close: async () => {
      await g.close();
      stub.restore();
      wafClient.destroy();
    },
  };
}
