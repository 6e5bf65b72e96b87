import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { percentile } from './stats';

const ROOT = resolve(import.meta.dirname, '..');
/** Inside node_modules so the bundle resolves the external `@aws-sdk/*` packages as Lambda's runtime would. */
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'gatewarden-bench');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

/**
 * The bundling the CDK applies (lib/constructs/gatewarden-function.ts): esbuild, minified ESM for node24 on
 * platform node, no source maps, `module` before `main`, the createRequire banner, and `@aws-sdk/*` left external
 * because the Lambda Node.js runtime provides SDK v3 (NodejsFunction's default for node ≥ 18). The peer gets the
 * same treatment.
 */
export async function bundle(
  entry: string,
  name: string,
): Promise<{ file: string; bytes: number; gzipBytes: number; topPackages: Record<string, number> }> {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, `${name}.mjs`);
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: false,
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    banner: {
      js: "import{createRequire as __gwCreateRequire}from'node:module';const require=__gwCreateRequire(import.meta.url);",
    },
    logLevel: 'silent',
    write: true,
    metafile: true,
  });
  // Output bytes per package (or `own` for this repository's code): what the bundle is made of.
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = m ? m[1]! : 'own';
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  const topPackages = Object.fromEntries([...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8));
  const bytes = statSync(file).size;
  const gzipBytes = gzipSync(readFileSync(file)).length;
  return { file, bytes, gzipBytes, topPackages };
}

/**
 * Median wall time of importing each file in a fresh Node 24 process (the Lambda init phase of a cold start, minus
 * the runtime's own bootstrap), over `runs` processes per file, the files taking turns so a slow spell of a shared
 * machine weighs on all of them alike. Includes loading the external SDK from node_modules.
 */
export function coldImportMs(files: readonly string[], env: Record<string, string>, runs = 9): number[] {
  const times: number[][] = files.map(() => []);
  for (let i = 0; i < runs; i += 1) {
    files.forEach((file, f) => {
      times[f]!.push(importOnce(file, env));
    });
  }
  return times.map((t) => percentile(t, 50));
}

function importOnce(file: string, env: Record<string, string>): number {
  const script = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));`;
  const out = spawnSync(NODE, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const ms = Number(out.stdout.trim().split('\n').at(-1));
  if (out.status !== 0 || !Number.isFinite(ms)) {
    throw new Error(`cold import of ${file} failed: ${out.stderr.slice(0, 500)}`);
  }
  return ms;
}

/** The version of the Node used for cold imports. */
export function nodeVersion(): string {
  return spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
}
