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
});
