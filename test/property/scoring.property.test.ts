import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CounterView,
  combineScore,
  evaluateSignals,
  type RequestFeatures,
} from '../../lambdas/engine/signals';
import { DEFAULT_ROUTE_SETTINGS } from '../../lambdas/policy/defaults';

const count = fc.double({ min: 0, max: 5000, noNaN: true });
const viewArb: fc.Arbitrary<CounterView> = fc.record({
  authenticated: fc.boolean(),
  ipShort: count,
  ipLong: count,
  prefixShort: count,
  prefixLong: count,
  subjectShort: count,
  subjectLong: count,
  tokenShort: count,
  clientShort: count,
  ipFailures: count,
  prefixFailures: count,
  subjectAuthzFailures: count,
  ipAuthzFailures: count,
  distinctIpsForIdentity: fc.integer({ min: 0, max: 300 }),
  distinctSubjectsOnIp: fc.constant(1),
  oneShotTokensOnPrefix: fc.integer({ min: 0, max: 300 }),
  identityRequests: fc.constant(0),
  identityHeads: fc.constant(0),
  identityErrors: fc.constant(0),
  identityInjections: fc.integer({ min: 0, max: 20 }),
  recentBodyHits: fc.integer({ min: 0, max: 5 }),
  distinctIds: fc.integer({ min: 0, max: 300 }),
  idDensity: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  cadenceVariation: fc.constant(undefined),
  cadenceSamples: fc.constant(0),
  underAttack: fc.boolean(),
  knownClient: fc.boolean(),
});
const featuresArb: fc.Arbitrary<RequestFeatures> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'HEAD'),
  injections: fc.subarray(['sqli', 'xss']),
  automation: fc.option(
    fc.record({ strength: fc.double({ min: 0, max: 1, noNaN: true }), reason: fc.constant('x') }),
    {
      nil: undefined,
    },
  ),
  journeyViolations: fc.subarray(['a before b']),
  volumeMultiplier: fc.constant(1),
  ignoreSignals: fc.constant(new Set()),
});

/** Counts whose growth is evidence of abuse (the NAT-fairness count is the one that relaxes, by design). */
const EVIDENCE: (keyof CounterView)[] = [
  'ipShort',
  'ipLong',
  'prefixShort',
  'prefixLong',
  'subjectShort',
  'subjectLong',
  'tokenShort',
  'clientShort',
  'ipFailures',
  'prefixFailures',
  'subjectAuthzFailures',
  'ipAuthzFailures',
  'distinctIpsForIdentity',
  'oneShotTokensOnPrefix',
  'identityInjections',
  'recentBodyHits',
  'distinctIds',
];

const score = (v: CounterView, f: RequestFeatures) =>
  combineScore(evaluateSignals(v, f, { ...DEFAULT_ROUTE_SETTINGS, browserFacing: true }));

describe('scoring properties', () => {
  it('scores stay within 0..100', () => {
    fc.assert(
      fc.property(viewArb, featuresArb, (v, f) => {
        const s = score(v, f);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(100);
      }),
      { numRuns: 500 },
    );
  });

  it('more evidence never lowers a score', () => {
    fc.assert(
      fc.property(
        viewArb,
        featuresArb,
        fc.constantFrom(...EVIDENCE),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        (v, f, key, extra) => {
          const more = { ...v, [key]: (v[key] as number) + extra };
          expect(score(more, f)).toBeGreaterThanOrEqual(score(v, f));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('an extra firing signal never lowers a score', () => {
    fc.assert(
      fc.property(viewArb, featuresArb, (v, f) => {
        expect(score(v, { ...f, injections: ['sqli'] })).toBeGreaterThanOrEqual(score(v, f));
        expect(score({ ...v, underAttack: true, knownClient: false }, f)).toBeGreaterThanOrEqual(score(v, f));
      }),
      { numRuns: 500 },
    );
  });
});
