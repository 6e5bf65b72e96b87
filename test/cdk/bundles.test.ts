import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { lambdaEntry } from '../../lib/constructs/gatewarden-function';

/** What each Lambda bundle holds, per input file, built with the settings GatewardenFunction gives esbuild. */
async function bundleInputs(entry: string): Promise<Metafile['outputs'][string]['inputs']> {
  const result = await build({
    entryPoints: [lambdaEntry(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
    outfile: 'index.mjs',
    logLevel: 'silent',
  });
  return Object.values(result.metafile.outputs)[0]!.inputs;
}

const ENTRIES = [
  'authorizer/rest.ts',
  'authorizer/http.ts',
  'log-feedback/handler.ts',
  'waf-updater/handler.ts',
];

describe('Lambda bundles', () => {
  it.each(ENTRIES)('%s carries zod/mini with English messages only, and no YAML parser', async (entry) => {
    // Act
    const inputs = Object.entries(await bundleInputs(entry));
    const zod = inputs.filter(([path]) => path.includes('node_modules/zod/'));
    // Assess: `import { z }` instead of `import * as z` (or classic zod) brings back every locale and 400+ KB.
    expect(inputs.filter(([path]) => path.includes('node_modules/yaml/'))).toEqual([]);
    expect(zod.map(([path]) => path).filter((path) => /\/(classic|locales\/(?!en\.js))/.test(path))).toEqual(
      [],
    );
    expect(zod.map(([path]) => path)).toContain('node_modules/zod/v4/locales/en.js');
    expect(zod.reduce((sum, [, { bytesInOutput }]) => sum + bytesInOutput, 0)).toBeLessThan(64 * 1024);
  });
});
