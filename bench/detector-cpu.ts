/**
 * CPU microseconds the malicious-input detector spends per typical request: the path, two or three query
 * parameters and the four default inspected headers, called as the engine calls it. Search terms and user agents
 * come from the benign fixtures (test/fixtures/detector/), so the values are real text, not synthetic ids. Two
 * figures: every value new (no remembered verdict helps), and typical (user agent, referer and content type repeat
 * per client, as they do; the query values stay new). Medians of interleaved passes; run alone with
 * `tsx bench/detector-cpu.ts`, or as part of `npm run bench`.
 */
import { readFileSync } from 'node:fs';
import { findInjectionsIn, requestParts } from '../lambdas/engine/detectors/malicious-input';
import { DEFAULT_INSPECT_HEADERS } from '../lambdas/policy/defaults';
import { cpuSince, percentile } from './stats';

interface Row {
  readonly set: string;
  readonly query: readonly (readonly [string, string])[];
  readonly headers: Readonly<Record<string, string>>;
}

type Req = Parameters<typeof requestParts>[0];

function typicalRequests(count: number, fresh: boolean, pass: number): Req[] {
  const rows = readFileSync(new URL('../test/fixtures/detector/benign.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
  const terms = rows.filter((r) => r.set !== 'browser user agents').map((r) => r.query[0]![1]);
  const agents = rows.filter((r) => r.set === 'browser user agents').map((r) => r.headers['user-agent']!);
  const out: Req[] = [];
  for (let i = 0; i < count; i += 1) {
    const tag = fresh ? `${pass}-${i}` : String(i % 50);
    out.push({
      path: `/items/${1000 + i}`,
      query: { q: `${terms[i % terms.length]!} ${pass}${i}`, page: String(1 + (i % 7)), sort: 'price' },
      headers: {
        'user-agent': fresh ? `${agents[i % agents.length]!} ${tag}` : agents[i % 50]!,
        referer: `https://shop.example/items?page=${tag}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
    });
  }
  return out;
}

/** Median CPU µs per request of `findInjectionsIn(requestParts(...))`, fresh values and typical repeats. */
export function detectorCpuFigures(count = 5000, passes = 5): { freshUs: number; typicalUs: number } {
  const fresh: number[] = [];
  const typical: number[] = [];
  for (let p = -1; p < passes; p += 1) {
    for (const [list, isFresh] of [
      [fresh, true],
      [typical, false],
    ] as const) {
      const reqs = typicalRequests(count, isFresh, p);
      const start = process.cpuUsage();
      for (const r of reqs) findInjectionsIn(requestParts(r, DEFAULT_INSPECT_HEADERS));
      // Pass -1 warms the JIT and is not counted.
      if (p >= 0) list.push(cpuSince(start) / reqs.length);
    }
  }
  return { freshUs: percentile(fresh, 50), typicalUs: percentile(typical, 50) };
}

if (process.argv[1]?.endsWith('detector-cpu.ts')) {
  const { freshUs, typicalUs } = detectorCpuFigures();
  console.log(
    `detector CPU per request: ${typicalUs.toFixed(1)} µs typical, ${freshUs.toFixed(1)} µs all values new`,
  );
}
