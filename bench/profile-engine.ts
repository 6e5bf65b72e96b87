/**
 * Profiling aid for the engine CPU figure: runs the same warm-up and measured workload as `npm run bench` through
 * the risk engine over the in-memory store, `passes` times. Run under `node --cpu-prof` to see where the time goes:
 *   PATH=$PWD/node_modules/.bin:$PATH node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-engine.ts
 */
import { startTokenIssuer } from '../lib/local/token-issuer';
import { cpuFigures } from './cpu';
import { benchWorkload, MEASURED_REQUESTS } from './workload';

const passes = Number(process.argv[2] ?? 10);
const issuer = await startTokenIssuer({ keys: [{ kid: 'rs-1', alg: 'RS256' }] });
try {
  const { warmup, measured } = await benchWorkload(issuer);
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
