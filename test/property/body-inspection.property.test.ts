import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectProxyEvent, parseBody } from '../../lambdas/middleware';
import { httpProxyEvent, restProxyEvent } from '../../lib/local/events';

/**
 * Body inspection on arbitrary bodies: it never throws, never judges more than a bounded multiple of `maxBytes`
 * (pieces overlap, keys are judged alone and with their parent), and never reports a field path that carries
 * anything but identifiers, indexes and `*`.
 */
const LIMITS = { maxBytes: 4096, maxDepth: 16, maxFields: 200 };
const CONFIG = {
  maxBodyBytes: LIMITS.maxBytes,
  maxDepth: LIMITS.maxDepth,
  maxFields: LIMITS.maxFields,
  trustedProxyCount: 0,
  clock: () => 1,
};

const body = fc.oneof(
  fc.json({ depthSize: 'large' }),
  fc.string({ unit: 'binary', maxLength: 6000 }),
  fc
    .array(fc.tuple(fc.string(), fc.string()), { maxLength: 50 })
    .map((pairs) => new URLSearchParams(pairs).toString()),
  fc.integer({ min: 1, max: 3000 }).map((n) => `${'['.repeat(n)}"x"${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 3000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/vnd.api+json; charset=utf-8',
  'image/png',
  '',
);

describe('body inspection properties', () => {
  it('never throws, bounds what it judges, and logs only safe field paths', () => {
    fc.assert(
      fc.property(body, contentType, fc.boolean(), fc.boolean(), (text, type, base64, v2) => {
        const shape = {
          method: 'POST',
          path: '/cart',
          resource: '/cart',
          headers: (type ? { 'content-type': type } : {}) as Record<string, string>,
          sourceIp: '198.51.100.1',
          timeMs: 1,
          body: text,
          base64,
          authorizer: { sub: 'alice' },
        };
        const event = v2 ? httpProxyEvent(shape) : restProxyEvent(shape);
        const parsed = parseBody(event, type, LIMITS);
        const judged = parsed.parts.reduce((n, p) => n + p.part.value.length, 0);
        // Values are at most the body; keys twice more (alone and as parent[key]); pieces overlap by 256 in 4096.
        expect(judged).toBeLessThanOrEqual(4 * LIMITS.maxBytes);
        for (const { field } of parsed.parts)
          expect(field).toMatch(/^(?:\$(?:\.[A-Za-z_$][\w$-]*|\.\*|\[\d+\])*|[A-Za-z_$][\w$-]*|\*)$/);
        const found = inspectProxyEvent(event, CONFIG);
        expect(found.caller.subject).toBe('alice');
      }),
      { numRuns: 300 },
    );
  });
});
