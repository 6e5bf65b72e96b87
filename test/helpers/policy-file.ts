import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes a policy document to a temporary file and returns its path (for GATEWARDEN_POLICY). */
export function writePolicyFile(policy: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-policy-'));
  const path = join(dir, 'policy.json');
  writeFileSync(path, JSON.stringify(policy));
  return path;
}

/**
 * A policy that never blocks for failed authentications: identity suites send hundreds of hostile tokens from
 * the fixture's one IP and assert the identity layer's 401, not the engine's block that would follow.
 */
export const IDENTITY_ONLY_FAILURES_POLICY = {
  defaults: { thresholds: { invalidAuthPerIp: 1_000_000, invalidAuthPerPrefix: 1_000_000 } },
};
