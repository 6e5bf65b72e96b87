import { describe, expect, it } from 'vitest';
import { readEngineConfig } from '../../../lambdas/engine/config';

describe('engine configuration', () => {
  it('reads the table, the budget and the mode override', () => {
    const config = readEngineConfig({ GATEWARDEN_TABLE: 'gw-table', GATEWARDEN_MODE: 'shadow' });
    expect(config.tableName).toBe('gw-table');
    expect(config.storeTimeoutMs).toBe(350);
    expect(config.policy.mode).toBe('shadow');
    expect(config.policy.settingsFor('GET /x').access).toBe('protected');
  });

  it('names the variable and the fix in every error', () => {
    expect(() => readEngineConfig({})).toThrow(/GATEWARDEN_TABLE is required/);
    expect(() => readEngineConfig({ GATEWARDEN_TABLE: 'gw-table', GATEWARDEN_MODE: 'block' })).toThrow(
      /GATEWARDEN_MODE must be "enforce" or "shadow"/,
    );
    expect(() =>
      readEngineConfig({ GATEWARDEN_TABLE: 'gw-table', GATEWARDEN_STORE_TIMEOUT_MS: '9000' }),
    ).toThrow(/GATEWARDEN_STORE_TIMEOUT_MS must be at most 5000/);
    expect(() =>
      readEngineConfig({ GATEWARDEN_TABLE: 'gw-table', GATEWARDEN_POLICY: '/nonexistent.yaml' }),
    ).toThrow(/GATEWARDEN_POLICY: cannot read policy file/);
  });

  it('reads the table Regions with AWS_REGION as this one; one Region or none keeps plain keys', () => {
    // Prepare
    const base = { GATEWARDEN_TABLE: 'gw-table', AWS_REGION: 'eu-west-1' };
    // Act
    const two = readEngineConfig({ ...base, GATEWARDEN_REGIONS: 'us-east-1, eu-west-1' });
    const one = readEngineConfig({ ...base, GATEWARDEN_REGIONS: 'eu-west-1' });
    // Assess
    expect(two.regions).toEqual({ own: 'eu-west-1', all: ['us-east-1', 'eu-west-1'] });
    expect(one.regions).toBeUndefined();
    expect(readEngineConfig(base).regions).toBeUndefined();
  });

  it('names GATEWARDEN_REGIONS and the fix when the Region list cannot be used', () => {
    const base = { GATEWARDEN_TABLE: 'gw-table', AWS_REGION: 'eu-west-1' };
    expect(() => readEngineConfig({ ...base, GATEWARDEN_REGIONS: 'us-east-1,europe' })).toThrow(
      /GATEWARDEN_REGIONS must list Region names.*europe/,
    );
    expect(() => readEngineConfig({ ...base, GATEWARDEN_REGIONS: 'us-east-1,us-west-2' })).toThrow(
      /GATEWARDEN_REGIONS \(us-east-1,us-west-2\) must include this Region \(eu-west-1\)/,
    );
    expect(() => readEngineConfig({ ...base, GATEWARDEN_REGIONS: 'eu-west-1,us-east-1,eu-west-1' })).toThrow(
      /GATEWARDEN_REGIONS lists a Region twice/,
    );
  });
});
