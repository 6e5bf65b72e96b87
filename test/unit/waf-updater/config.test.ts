import { describe, expect, it } from 'vitest';
import { isWafUpdaterConfigError, readWafUpdaterConfig } from '../../../lambdas/waf-updater/config';

const V4 = 'arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/gw-v4/11111111-1111-1111-1111-111111111111';
const V4B =
  'arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/gw-v4-b/22222222-2222-2222-2222-222222222222';
const V6 = 'arn:aws:wafv2:us-east-1:123456789012:global/ipset/gw-v6/33333333-3333-3333-3333-333333333333';

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    readWafUpdaterConfig(env);
  } catch (error) {
    if (isWafUpdaterConfigError(error)) return error.problems;
    throw error;
  }
  return [];
}

describe('readWafUpdaterConfig', () => {
  it('reads table, comma-separated ARNs (with spaces) and defaults', () => {
    // Prepare
    const env = { GATEWARDEN_TABLE: 'gw', WAF_IPSET_V4_ARNS: ` ${V4} , ${V4B},`, WAF_IPSET_V6_ARNS: V6 };

    // Act
    const config = readWafUpdaterConfig(env);

    // Assess
    expect(config.tableName).toBe('gw');
    expect(config.ipSets.IPV4.map((r) => r.name)).toEqual(['gw-v4', 'gw-v4-b']);
    expect(config.ipSets.IPV6[0]).toMatchObject({ name: 'gw-v6', scope: 'CLOUDFRONT' });
    expect(config.highWater).toBe(9_500);
    expect(config.collapseMinEntries).toBe(8);
  });

  it('accepts a v4-only deployment', () => {
    // Prepare / Act
    const config = readWafUpdaterConfig({
      GATEWARDEN_TABLE: 'gw',
      WAF_IPSET_V4_ARNS: V4,
      WAF_IPSET_HIGH_WATER: '100',
    });

    // Assess
    expect(config.ipSets.IPV6).toEqual([]);
    expect(config.highWater).toBe(100);
  });

  it('names every problem and its fix at once', () => {
    // Prepare
    const env = {
      WAF_IPSET_V4_ARNS: 'arn:aws:wafv2:eu-west-1:1:regional/webacl/x/y',
      WAF_IPSET_HIGH_WATER: '10001',
    };

    // Act
    const problems = problemsOf(env);

    // Assess
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/GATEWARDEN_TABLE is required: set it/);
    expect(problems.join('\n')).toMatch(/WAF_IPSET_V4_ARNS: .* is not a WAF IP-set ARN/);
    expect(problems.join('\n')).toMatch(/WAF_IPSET_HIGH_WATER must be an integer from 1 to 10000/);
  });

  it('requires at least one IP set', () => {
    // Prepare / Act
    const problems = problemsOf({ GATEWARDEN_TABLE: 'gw', WAF_IPSET_V4_ARNS: ' , ' });

    // Assess
    expect(problems).toEqual([expect.stringMatching(/both empty: set at least one/)]);
  });

  it('rejects the same set listed twice', () => {
    // Prepare / Act
    const problems = problemsOf({ GATEWARDEN_TABLE: 'gw', WAF_IPSET_V4_ARNS: V4, WAF_IPSET_V6_ARNS: V4 });

    // Assess
    expect(problems).toEqual([expect.stringContaining('listed twice')]);
  });
});
