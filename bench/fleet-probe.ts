import { SCENARIOS } from '../lib/local/scenarios';
import { startTokenIssuer } from '../lib/local/token-issuer';
import { runScenarioOnFreshTable } from '../test/helpers/scenario-harness';

const names = process.argv.slice(2);
const ks = (process.env.KS ?? '1,8').split(',').map(Number);
const issuer = await startTokenIssuer();
for (const s of SCENARIOS.filter((s) => names.length === 0 || names.includes(s.name))) {
  for (const k of ks) {
    const t = Date.now();
    const run = await runScenarioOnFreshTable(s, 1, issuer, { containers: k });
    const sig = new Map<string, number>();
    for (const d of run.decisions)
      if (d.effect !== 'allow') for (const x of d.signals) sig.set(x.name, (sig.get(x.name) ?? 0) + 1);
    console.log(
      `${s.name} K=${k} req=${run.requests} bot=${run.botDeniedPct}% first=${run.requestsUntilFirstDeny ?? '-'} humans=${run.humanDenied}/${run.humanRequests} ${Date.now() - t}ms ${[...sig].map(([a, b]) => `${a}:${b}`).join(' ')}`,
    );
  }
}
await issuer.close();
