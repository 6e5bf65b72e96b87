/**
 * Profiling aid for the engine CPU figure: runs the same warm-up and measured workload as `npm run bench` through
 * the risk engine over the in-memory store, `passes` times. Run under `node --cpu-prof` to see where the time goes:
 *   PATH=$PWD/node_modules/.bin:$PATH node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-engine.ts
 */
import { startTokenIssuer } from '../lib/local/token-issuer';
import { cpuFigures } from './cpu';
import {
  MEASURED_REQUESTS,
  makeClients,
  makeRequests,
  prng,
  REQUESTS_PER_SECOND,
  SUBJECTS,
  USES_PER_TOKEN,
  WARMUP_REQUESTS_PER_SECOND,
  WARMUP_SUBJECTS,
} from './workload';

const passes = Number(process.argv[2] ?? 10);
const issuer = await startTokenIssuer({ keys: [{ kid: 'rs-1', alg: 'RS256' }] });
try {
  const random = prng(9);
  const start = Date.now();
  const warmup = makeRequests(
    await makeClients(issuer, WARMUP_SUBJECTS, 'warm', random),
    USES_PER_TOKEN,
    start,
    WARMUP_REQUESTS_PER_SECOND,
    random,
  );
  const measuredStart = warmup.at(-1)!.timeMs + 1000;
  const measured = makeRequests(
    await makeClients(issuer, SUBJECTS, 'user', random),
    USES_PER_TOKEN,
    measuredStart,
    REQUESTS_PER_SECOND,
    random,
  );
  const { engineUs, rs256Us } = await cpuFigures(
    warmup,
    measured,
    measured.map((m) => m.client.token),
    issuer.keys[0]!.publicJwk,
    passes,
  );
  console.log(
    `engine CPU µs / decision ${engineUs.toFixed(1)}, RS256 verify µs ${rs256Us.toFixed(1)}, ratio ${(engineUs / rs256Us).toFixed(2)} (${MEASURED_REQUESTS} requests, median of ${passes})`,
  );
} finally {
  await issuer.close();
}
