import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema } from '../../../lambdas/policy/json-schema';

describe('exported JSON Schema', () => {
  it('is committed and up to date (regenerate with `npx gatewarden policy schema > lambdas/policy/policy.schema.json`)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../../lambdas/policy/policy.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(policyJsonSchema());
  });

  it('describes routes, thresholds and unknown-key rejection', () => {
    const schema = policyJsonSchema() as {
      properties: Record<string, unknown>;
      additionalProperties: unknown;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['mode', 'routes', 'defaults', 'allowlist']),
    );
    expect(schema.additionalProperties).toBe(false);
  });
});
