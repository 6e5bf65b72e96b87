import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { captureOutput } from './output-sink';
import {
  type AuthorizerWorld,
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
 * The fuzz contracts of `npm run fuzz` (100,000+ events) at a reduced count, so every `npm test` checks them.
 * Handlers log for real (Powertools at INFO); the output is swallowed and scanned for the valid token.
 */

let issuer: TokenIssuer;
let world: AuthorizerWorld;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  world = await createAuthorizerWorld(issuer);
});

afterAll(async () => {
  await issuer.close();
});

async function quietly(run: () => Promise<void>, secrets: readonly string[] = []): Promise<void> {
  const sink = captureOutput({ keep: 0 });
  for (const secret of secrets) sink.watch('secret', secret);
  try {
    await run();
  } finally {
    sink.restore();
  }
  expect(sink.leaks).toEqual([]);
}

describe('fuzz (reduced count; npm run fuzz runs 100,000+)', () => {
  it('authorizers: only Unauthorized escapes, answers are well-formed, nothing is allowed without the token', async () => {
    await quietly(
      () =>
        fc.assert(
          fc.asyncProperty(authorizerCase(world), async (c) => {
            await runAuthorizerCase(world, c);
          }),
          { numRuns: 800 },
        ),
      [world.validToken, world.validToken.split('.')[2]!],
    );
  });

  it('log feedback: bad lines are skipped and counted; it fails only when its store fails', async () => {
    const feedback = createFeedbackWorld();
    await quietly(() =>
      fc.assert(
        fc.asyncProperty(feedbackCase, async (c) => {
          await runFeedbackCase(feedback, c);
        }),
        { numRuns: 300 },
      ),
    );
  });

  it('WAF updater: every block record is applied or reported; other events are refused', async () => {
    const waf = createWafWorld();
    try {
      await quietly(() =>
        fc.assert(
          fc.asyncProperty(wafCase, async (c) => {
            await runWafCase(waf, c);
          }),
          { numRuns: 500 },
        ),
      );
    } finally {
      waf.restore();
    }
  });
});
