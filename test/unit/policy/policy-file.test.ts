import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEngineConfig } from '../../../lambdas/engine/config';
import { isPolicyError, loadPolicyFile, type PolicyError } from '../../../lambdas/policy/policy';
import { compilePolicy, validatePolicyFile } from '../../../lib/cli/operator';
import { compilePolicyFile } from '../../../lib/policy-file';

const YAML_POLICY = `# comments are YAML only
mode: shadow
routes:
  - match: POST /login
    access: public
    thresholds: { ipPerShort: 10 }
allowlist:
  cidrs: [203.0.113.0/28]
`;

function writeFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-policy-')), name);
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (error) {
    if (isPolicyError(error)) return error;
    throw error;
  }
  throw new Error('expected a PolicyError');
}

describe('policy files: JSON in the Lambda, JSON or YAML before deployment', () => {
  it('the Lambda loader refuses YAML, naming GATEWARDEN_POLICY and both ways to fix it', () => {
    // Prepare
    const path = writeFile('policy.yaml', YAML_POLICY);
    // Act
    const error = errorOf(() => loadPolicyFile(path));
    // Assess
    expect(error.message).toMatch(/^GATEWARDEN_POLICY: ".*policy\.yaml" is not JSON \(/);
    expect(error.message).toContain('gatewarden policy compile');
    expect(error.message).toContain("construct's policyFile");
    // …and that is what a cold start reports.
    expect(() => readEngineConfig({ GATEWARDEN_TABLE: 'gw-table', GATEWARDEN_POLICY: path })).toThrow(
      /GATEWARDEN_POLICY: ".*" is not JSON/,
    );
  });

  it('converts YAML to JSON the Lambda loader reads as the same policy', () => {
    // Prepare
    const path = writeFile('policy.yml', YAML_POLICY);
    // Act
    const compiled = compilePolicyFile(path);
    const loaded = loadPolicyFile(writeFile('policy.json', compiled.json));
    // Assess
    expect(JSON.parse(compiled.json)).toEqual({
      mode: 'shadow',
      routes: [{ match: 'POST /login', access: 'public', thresholds: { ipPerShort: 10 } }],
      allowlist: { cidrs: ['203.0.113.0/28'] },
    });
    expect(loaded.mode).toBe('shadow');
    expect(loaded.settingsFor('POST /login')).toEqual(compiled.policy.settingsFor('POST /login'));
    expect(loaded.isAllowlistedIp('203.0.113.5')).toBe(true);
    expect(compilePolicy(path)).toBe(compiled.json);
  });

  it('an empty file is the built-in policy, written as {}', () => {
    expect(compilePolicyFile(writeFile('empty.yaml', '# nothing yet\n')).json).toBe('{}\n');
  });

  it('Noncompliance 1: an invalid policy is refused with every bad field, never converted', () => {
    // Prepare
    const path = writeFile('bad.yaml', 'mode: block\nroutes:\n  - match: GET /a\n    acess: public\n');
    // Act
    const error = errorOf(() => compilePolicyFile(path));
    // Assess
    expect(error.message).toMatch(/bad\.yaml: Invalid policy: /);
    expect(error.issues).toEqual([
      'mode: Invalid option: expected one of "enforce"|"shadow"',
      'routes[0]: Unrecognized key: "acess"',
    ]);
    expect(() => compilePolicy(path)).toThrow(/bad\.yaml: invalid policy\n {2}- mode: /);
    expect(() => validatePolicyFile(path)).toThrow(/routes\[0\]: Unrecognized key: "acess"/);
  });

  it('Noncompliance 2: unparsable and unreadable files say so', () => {
    expect(() => compilePolicyFile(writeFile('broken.yaml', 'routes: [\n'))).toThrow(
      /broken\.yaml: not valid JSON or YAML/,
    );
    expect(() => compilePolicyFile('/nonexistent/policy.yaml')).toThrow(
      /cannot read policy file "\/nonexistent\/policy.yaml" \(ENOENT\)/,
    );
  });
});
