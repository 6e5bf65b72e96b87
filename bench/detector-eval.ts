/**
 * `npm run detector-eval`: the malicious-input detector, called exactly as the engine calls it (path, query names
 * and values, the default inspected headers; scanners through the automation fingerprint), over the labelled public
 * corpora in test/fixtures/detector/ (see SOURCES.md there). Prints detection per attack family and false positives
 * per benign set. `--every N` evaluates every N-th record (the vitest test uses a reduced sample).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { scannerFingerprint } from '../lambdas/engine/detectors/automation';
import { findInjectionsIn, requestParts } from '../lambdas/engine/detectors/malicious-input';
import { DEFAULT_INSPECT_HEADERS } from '../lambdas/policy/defaults';

interface FixtureRequest {
  readonly path: string;
  readonly query: readonly (readonly [string, string])[];
  readonly headers: Readonly<Record<string, string>>;
}
interface Attack extends FixtureRequest {
  readonly family: string;
  readonly source: string;
  readonly visible: boolean;
}
interface Benign extends FixtureRequest {
  readonly set: string;
  readonly source: string;
}

export interface Rate {
  readonly total: number;
  readonly hit: number;
  readonly rate: number;
}
export interface EvalResult {
  readonly families: Readonly<Record<string, Rate>>;
  readonly overall: Rate;
  readonly notVisible: number;
  readonly benign: Readonly<Record<string, Rate>>;
  readonly benignOverall: Rate;
  readonly flaggedBenign: readonly string[];
}

const dir = new URL('../test/fixtures/detector/', import.meta.url);
const load = <T>(file: string): T[] =>
  readFileSync(new URL(file, dir), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

/** Whether the authorizer would flag this request: an injection kind, or a scanner's user agent. */
export function flagged(r: FixtureRequest): boolean {
  const query: Record<string, string> = {};
  for (const [k, v] of r.query) query[k] = v;
  if (scannerFingerprint(r.headers)) return true;
  return (
    findInjectionsIn(requestParts({ path: r.path, query, headers: r.headers }, DEFAULT_INSPECT_HEADERS))
      .length > 0
  );
}

function tally(groups: Map<string, { total: number; hit: number }>): Record<string, Rate> {
  const out: Record<string, Rate> = {};
  for (const [k, g] of [...groups].sort()) out[k] = { ...g, rate: g.total === 0 ? 0 : g.hit / g.total };
  return out;
}
const sum = (rates: Record<string, Rate>): Rate => {
  const total = Object.values(rates).reduce((a, r) => a + r.total, 0);
  const hit = Object.values(rates).reduce((a, r) => a + r.hit, 0);
  return { total, hit, rate: total === 0 ? 0 : hit / total };
};

/** Runs the evaluation on every `every`-th record of each corpus. */
export function evaluate(every = 1): EvalResult {
  const attacks = load<Attack>('attacks.jsonl').filter((_, i) => i % every === 0);
  const benign = load<Benign>('benign.jsonl').filter((_, i) => i % every === 0);
  const fam = new Map<string, { total: number; hit: number }>();
  let notVisible = 0;
  for (const a of attacks) {
    if (!a.visible) {
      notVisible += 1;
      continue;
    }
    const g = fam.get(a.family) ?? { total: 0, hit: 0 };
    g.total += 1;
    if (flagged(a)) g.hit += 1;
    fam.set(a.family, g);
  }
  const sets = new Map<string, { total: number; hit: number }>();
  const flaggedBenign: string[] = [];
  for (const b of benign) {
    const g = sets.get(b.set) ?? { total: 0, hit: 0 };
    g.total += 1;
    if (flagged(b)) {
      g.hit += 1;
      flaggedBenign.push(`${b.set}: ${JSON.stringify(b.query.length ? b.query : b.headers)}`);
    }
    sets.set(b.set, g);
  }
  const families = tally(fam);
  const benignRates = tally(sets);
  return {
    families,
    overall: sum(families),
    notVisible,
    benign: benignRates,
    benignOverall: sum(benignRates),
    flaggedBenign,
  };
}

const pct = (r: Rate, digits = 1) => `${(r.rate * 100).toFixed(digits)} %`;

function print(result: EvalResult, verbose: boolean): void {
  console.log('attack family (authorizer-visible) | payloads | detected');
  for (const [k, r] of Object.entries(result.families))
    console.log(`  ${k.padEnd(12)} ${String(r.total).padStart(6)}  ${pct(r)}`);
  console.log(`  ${'all'.padEnd(12)} ${String(result.overall.total).padStart(6)}  ${pct(result.overall)}`);
  console.log(
    `  (${result.notVisible} more CRS payloads sit in bodies, cookies or other headers: not judged here)`,
  );
  console.log('benign set | inputs | flagged');
  for (const [k, r] of Object.entries(result.benign))
    console.log(`  ${k.padEnd(20)} ${String(r.total).padStart(6)}  ${pct(r, 2)}`);
  console.log(
    `  ${'all'.padEnd(20)} ${String(result.benignOverall.total).padStart(6)}  ${pct(result.benignOverall, 2)}`,
  );
  if (verbose) for (const f of result.flaggedBenign) console.log(`  flagged: ${f}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const { values } = parseArgs({ options: { every: { type: 'string' }, verbose: { type: 'boolean' } } });
  print(evaluate(Number(values.every ?? 1)), values.verbose ?? false);
}
