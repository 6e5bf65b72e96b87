import './env';
import fc from 'fast-check';
import { startTokenIssuer } from '../../lib/local/token-issuer';
import { captureOutput } from './output-sink';
import {
  authorizerCase,
  createAuthorizerWorld,
  createFeedbackWorld,
  createWafWorld,
  feedbackCase,
  runAuthorizerCase,
  runFeedbackCase,
  runWafCase,
  wafCase,
} from './targets';

/**
 * `npm run fuzz`: at least 100,000 generated and mutated events through the REST and HTTP API authorizers, the
 * log-feedback handler and the WAF updater, each against its error contract (see targets.ts). Real handlers, real
 * Powertools logging (swallowed and scanned for the token), a real JWKS on loopback; the counter store is in
 * memory and WAF is the model. Options: `--scale 0.1` runs a tenth, `--seed N` replays a run.
 * Exit code 1 on any contract breach, with the shrunk counterexample.
 */

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const scale = Number(arg('scale') ?? 1);
const seed = Number(arg('seed') ?? Date.now() % 2 ** 31);
const RUNS = {
  authorizers: Math.round(80_000 * scale),
  feedback: Math.round(12_000 * scale),
  waf: Math.round(10_000 * scale),
};

const tally = <K extends string>() => {
  const counts: Partial<Record<K, number>> = {};
  return {
    add: (key: K): void => {
      counts[key] = (counts[key] ?? 0) + 1;
    },
    counts,
  };
};

async function main(): Promise<void> {
  const started = performance.now();
  const issuer = await startTokenIssuer();
  console.log(`[fuzz] seed ${seed}: ${RUNS.authorizers + RUNS.feedback + RUNS.waf} events`);
  const sink = captureOutput({ keep: 5 });
  // A promise that never settles would let Node exit silently (code 13) with our stderr swallowed: say so.
  process.once('exit', (code) => {
    sink.restore();
    if (code !== 0)
      console.error(`[fuzz] exited with code ${code} (seed ${seed}); last output:`, sink.matching(''));
  });
  const report: string[] = [];
  let failed: unknown;
  try {
    const world = await createAuthorizerWorld(issuer);
    sink.watch('raw token', world.validToken);
    sink.watch('token signature', world.validToken.split('.')[2]!);
    const byKind = tally<string>();
    let t = performance.now();
    await fc.assert(
      fc.asyncProperty(authorizerCase(world), async (c) => {
        const outcome = await runAuthorizerCase(world, c);
        byKind.add(`${c.kind}:${outcome}${c.storeDown ? ':store-down' : ''}`);
      }),
      { numRuns: RUNS.authorizers, seed },
    );
    report.push(
      `authorizers: ${RUNS.authorizers} events in ${Math.round(performance.now() - t)} ms ${JSON.stringify(byKind.counts)}`,
    );

    const feedback = createFeedbackWorld();
    const fb = tally<string>();
    t = performance.now();
    await fc.assert(
      fc.asyncProperty(feedbackCase, async (c) => fb.add(`${c.kind}:${await runFeedbackCase(feedback, c)}`)),
      { numRuns: RUNS.feedback, seed },
    );
    report.push(
      `log feedback: ${RUNS.feedback} events in ${Math.round(performance.now() - t)} ms ${JSON.stringify(fb.counts)}`,
    );

    const waf = createWafWorld();
    const wf = tally<string>();
    t = performance.now();
    try {
      await fc.assert(
        fc.asyncProperty(wafCase, async (c) => wf.add(`${c.fault}:${await runWafCase(waf, c)}`)),
        { numRuns: RUNS.waf, seed },
      );
    } finally {
      waf.restore();
    }
    report.push(
      `WAF updater: ${RUNS.waf} events in ${Math.round(performance.now() - t)} ms ${JSON.stringify(wf.counts)}`,
    );
  } catch (error) {
    failed = error;
  } finally {
    sink.restore();
    await issuer.close();
  }
  const total = RUNS.authorizers + RUNS.feedback + RUNS.waf;
  for (const line of report) console.log(`[fuzz] ${line}`);
  console.log(`[fuzz] log/EMF lines written and scanned: ${sink.writes}; token leaks: ${sink.leaks.length}`);
  for (const leak of sink.leaks) console.log(`[fuzz] LEAK (${leak.label}): ${leak.excerpt}`);
  if (failed !== undefined) {
    console.error(`[fuzz] FAILED (seed ${seed}):`, failed instanceof Error ? failed.message : failed);
    if (failed instanceof Error && failed.cause !== undefined) console.error('[fuzz] cause:', failed.cause);
    process.exit(1);
  }
  if (sink.leaks.length > 0) process.exit(1);
  console.log(
    `[fuzz] OK: ${total} events (seed ${seed}, node ${process.version}) in ${Math.round(performance.now() - started)} ms`,
  );
}

await main();
