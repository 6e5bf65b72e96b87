import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPolicyError, resolvePolicy } from '../../lambdas/policy/policy';

describe('policy validation', () => {
  it('rejects malformed files with a message naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ mode: 'block-everything' }, /mode/],
      [
        { routes: [{ match: 'GET /a', thresholds: { ipPerShort: -1 } }] },
        /routes\[0\]\.thresholds\.ipPerShort/,
      ],
      [{ routes: [{ match: 'GET /a', acess: 'public' }] }, /routes\[0\].*acess|acess/],
      [{ defaults: { bands: { flag: 80, deny: 50 } } }, /defaults\.bands/],
      [{ allowlist: { cidrs: ['10.0.0.0/99'] } }, /allowlist\.cidrs\[0\]/],
      [{ windows: { shortSeconds: 600, longSeconds: 60 } }, /windows/],
      [{ defaults: { weights: { 'volume-ipp': 10 } } }, /weights/],
    ];
    for (const [doc, re] of cases) {
      let message = '';
      try {
        resolvePolicy(doc);
      } catch (e) {
        expect(isPolicyError(e)).toBe(true);
        message = (e as Error).message;
      }
      expect(message, JSON.stringify(doc)).toMatch(re);
    }
  });

  it('never throws anything but PolicyError on arbitrary documents', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => {
        try {
          resolvePolicy(doc);
        } catch (e) {
          expect(isPolicyError(e)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accepts every valid threshold value and keeps defaults for the rest', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1e6, noNaN: true }), (t) => {
        const p = resolvePolicy({ routes: [{ match: 'POST /login', thresholds: { ipPerShort: t } }] });
        expect(p.settingsFor('POST /login').thresholds.ipPerShort).toBe(t);
        expect(p.settingsFor('GET /other').thresholds.ipPerShort).toBe(60);
      }),
      { numRuns: 100 },
    );
  });
});
