import { describe, expect, inject, it } from 'vitest';
import { formatReplay, replayAccessLog } from '../../lib/cli/replay';

const FIXTURE = 'test/e2e/fixtures/recorded-access-log.jsonl';
const POLICY = 'test/e2e/fixtures/demo-policy.json';

describe('replay on DynamoDB Local', () => {
  it('two replays of one file on fresh tables print identical reports, the same as in memory', {
    timeout: 300_000,
  }, async () => {
    // Prepare
    const endpoint = inject('dynamoEndpoint');
    const run = (options: { endpoint?: string; inMemory?: boolean }) =>
      replayAccessLog({ file: FIXTURE, policyFile: POLICY, containers: 8, seed: 1, ...options });
    // Act
    const first = formatReplay(await run({ endpoint }));
    const second = formatReplay(await run({ endpoint }));
    const memory = formatReplay(await run({ inMemory: true }));
    // Assess
    expect(second).toBe(first);
    expect(memory).toBe(first);
  });
});
