import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { formatReportTable, renderReportHtml } from '../local/report';
import { DEMO_POLICY, type Scenario } from '../local/scenarios';
import { startTokenIssuer, type TokenIssuer } from '../local/token-issuer';
import { createGatewardenTable, dynamoClient, startLocalStack } from './local-stack';
import { runSimulation, type ScenarioReport } from './simulate';

/** Options of {@link runDemo} (and `gatewarden simulate`). */
export interface DemoOptions {
  readonly scenarios?: readonly Scenario[];
  readonly seed?: number;
  /** Duration scale of the scenarios. */
  readonly scale: number;
  readonly concurrency?: number;
  /** Where the HTML report goes; undefined: not written. */
  readonly htmlPath?: string;
  /** Use this DynamoDB endpoint instead of starting DynamoDB Local. */
  readonly endpoint?: string;
  /** Keep a gateway up after the report (for curl) until interrupted. */
  readonly serve?: boolean;
  /** Port of the `--serve` gateway. @default 8787 */
  readonly port?: number;
  /** The authorizer as K Lambda containers (see `SimulationOptions.containers`). @default 1 */
  readonly containers?: number;
  readonly out?: (line: string) => void;
}

/** What a run produced. */
export interface DemoResult {
  readonly reports: readonly ScenarioReport[];
  readonly table: string;
  readonly htmlPath: string | undefined;
  readonly wallMs: number;
}

/**
 * Starts DynamoDB Local (unless an endpoint is given) and the token issuer, runs the scenarios through the local
 * gateway, prints the report table and writes the HTML page; with `serve`, then keeps a gateway up for curl.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const out = options.out ?? ((line: string) => console.log(line));
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  out('Gatewarden demo: everything runs on 127.0.0.1; nothing leaves the machine.');
  const ddb = options.endpoint ? undefined : await startDynamoDbLocal();
  const endpoint = options.endpoint ?? ddb!.endpoint;
  out(`[${elapsed()}] DynamoDB Local on ${endpoint}`);
  const client = dynamoClient(endpoint);
  let issuer: TokenIssuer | undefined;
  try {
    issuer = await startTokenIssuer();
    out(`[${elapsed()}] token issuer with JWKS at ${issuer.jwksUri}`);
    const seen = new Map<string, number>();
    const reports = await runSimulation({
      client,
      issuer,
      scenarios: options.scenarios,
      seed: options.seed ?? 1,
      scale: options.scale,
      concurrency: options.concurrency,
      containers: options.containers ?? 1,
      progress: (name, done, total) => {
        const last = seen.get(name) ?? -1;
        if (done === total || done - last >= 1000 || last < 0) {
          seen.set(name, done);
          out(`[${elapsed()}] ${name}: ${done}/${total} requests through the local gateway`);
        }
      },
    });
    const wallMs = Date.now() - started;
    const table = formatReportTable(reports);
    out('');
    out(table);
    out('');
    const humansDenied = reports.reduce((n, r) => n + r.humanDenied, 0);
    out(
      `${reports.reduce((n, r) => n + r.requests, 0)} requests over HTTP through the local gateway in ${elapsed()}; ` +
        `${humansDenied} human request(s) denied. Scenario times are synthetic (scale ${options.scale}); ` +
        `authorizer on ${containersNote(options.containers ?? 1)}.`,
    );
    let htmlPath: string | undefined;
    if (options.htmlPath) {
      htmlPath = resolve(options.htmlPath);
      mkdirSync(dirname(htmlPath), { recursive: true });
      writeFileSync(
        htmlPath,
        renderReportHtml(reports, {
          notes: [
            `seed ${options.seed ?? 1}`,
            `duration scale ${options.scale}`,
            `authorizer on ${containersNote(options.containers ?? 1)}`,
            `run took ${elapsed()}`,
          ],
        }),
      );
      out(`HTML report: ${htmlPath}`);
    }
    if (options.serve)
      await serve(client, endpoint, issuer, options.port ?? 8787, options.containers ?? 1, out);
    return { reports, table, htmlPath, wallMs };
  } finally {
    await issuer?.close();
    client.destroy();
    await ddb?.stop();
  }
}

const containersNote = (k: number): string =>
  k === 1
    ? 'one container'
    : `${k} containers (requests spread at random; scale-outs and recycling per scenario)`;

async function serve(
  client: ReturnType<typeof dynamoClient>,
  endpoint: string,
  issuer: TokenIssuer,
  port: number,
  containers: number,
  out: (line: string) => void,
): Promise<void> {
  const tableName = `gatewarden-serve-${Date.now().toString(36)}`;
  await createGatewardenTable(client, tableName);
  const stack = await startLocalStack({
    client,
    tableName,
    issuer,
    policy: DEMO_POLICY,
    port,
    wafEveryMs: 5000,
    fleet: { containers },
    accessLog: (line) => out(`access-log ${JSON.stringify(line)}`),
  });
  const now = Math.floor(Date.now() / 1000);
  const token = await issuer.sign({ sub: 'curl-user', scope: 'read write', iat: now, exp: now + 3600 });
  const g = stack.gateway;
  out('');
  out(`Local gateway up: REST API at ${g.restUrl}, HTTP API at ${g.url} (table ${tableName}). Try:`);
  out(`  TOKEN='${token}'`);
  out(`  curl -i -H "Authorization: Bearer $TOKEN" ${g.restUrl}/items/42`);
  out(`  curl -i -H "Authorization: Bearer $TOKEN" ${g.url}/items?page=2`);
  out(`  curl -i ${g.restUrl}/items/42                      # no token: 401`);
  out(
    `  curl -i -H "Authorization: Bearer $TOKEN" "${g.restUrl}/items?q=%27%20OR%20%271%27%3D%271"   # injection`,
  );
  out(`  curl -i -X POST -d '{"username":"a","password":"x"}' ${g.restUrl}/login   # repeat: blocked`);
  out(
    `  for i in $(seq 1 200); do curl -s -o /dev/null -w '%{http_code} ' -H "Authorization: Bearer $TOKEN" ${g.restUrl}/items/$i; done`,
  );
  out(`  npx gatewarden blocks list --endpoint ${endpoint} --table ${tableName}`);
  out('Press Ctrl-C to stop.');
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out('stopping...');
  await stack.close();
}
