import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../../lambdas/engine/engine';
import { networkPrefix } from '../../lambdas/engine/network';
import { normaliseIp } from '../../lambdas/identity/client-ip';
import { httpRequestEvent, restRequestEvent } from '../../lib/local/events';
import { startTokenIssuer, type TokenIssuer } from '../../lib/local/token-issuer';
import { ipLike, xffChain } from './arbitraries';
import { captureOutput } from './output-sink';
import { type AuthorizerWorld, createAuthorizerWorld, fuzzContext } from './targets';

/**
 * Identity spoofing: the client is counted by API Gateway's `sourceIp` unless TRUSTED_PROXY_COUNT says proxies
 * append to X-Forwarded-For. Forged X-Forwarded-For, X-Real-IP, True-Client-IP (and friends) must change neither the
 * decision record's `ip` nor any `ip#` / `prefix#` counter key the engine writes or reads.
 */

let issuer: TokenIssuer;
let direct: AuthorizerWorld;
let behindOne: AuthorizerWorld;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  direct = await createAuthorizerWorld(issuer);
  behindOne = await createAuthorizerWorld(issuer, { trustedProxyCount: 1 });
});

afterAll(async () => {
  await issuer.close();
});

const SPOOF_HEADERS = [
  'X-Forwarded-For',
  'x-forwarded-for',
  'X-Real-IP',
  'True-Client-IP',
  'CF-Connecting-IP',
  'Forwarded',
  'X-Client-IP',
];

const forged = fc.dictionary(fc.constantFrom(...SPOOF_HEADERS), fc.oneof(ipLike, xffChain), {
  minKeys: 1,
  maxKeys: 4,
});

const request = fc.record({
  kind: fc.constantFrom('rest', 'http'),
  sourceIp: fc.oneof(fc.ipV4(), fc.ipV6()),
  withToken: fc.boolean(),
  path: fc.constantFrom('/items/1', '/login', '/catalog'),
});

function event(
  r: { kind: string; sourceIp: string; withToken: boolean; path: string },
  token: string,
  headers: Record<string, string>,
) {
  const shape = {
    method: r.path === '/login' ? 'POST' : 'GET',
    path: r.path,
    resource: r.path,
    headers: {
      ...headers,
      ...(r.withToken ? { Authorization: `Bearer ${token}` } : {}),
      'User-Agent': 'Mozilla/5.0',
    },
    sourceIp: r.sourceIp,
    timeMs: Date.now(),
  };
  return r.kind === 'rest' ? restRequestEvent(shape) : httpRequestEvent(shape);
}

/** Runs one event and returns what the engine counted it as: the decision's ip and the network keys touched. */
async function counted(world: AuthorizerWorld, kind: string, e: unknown) {
  world.store.touchedKeys.length = 0;
  world.lastDecision = undefined;
  const handler = kind === 'rest' ? world.rest : world.http;
  await handler(e, fuzzContext()).catch(() => undefined);
  // Read through a cast: TypeScript would keep the `undefined` narrowing from above across the await.
  const decision = (world as { lastDecision: DecisionRecord | undefined }).lastDecision;
  return {
    ip: decision?.ip,
    keys: [
      ...new Set(world.store.touchedKeys.filter((k) => k.startsWith('ip#') || k.startsWith('prefix#'))),
    ].sort(),
  };
}

async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const sink = captureOutput({ keep: 0 });
  try {
    return await run();
  } finally {
    sink.restore();
  }
}

describe('identity spoofing', () => {
  it('TRUSTED_PROXY_COUNT=0: forged forwarding headers never change the counted client', async () => {
    await quietly(() =>
      fc.assert(
        fc.asyncProperty(request, forged, async (r, headers) => {
          // Prepare
          const honest = event(r, direct.validToken, {});
          const spoofed = event(r, direct.validToken, headers);

          // Act
          const a = await counted(direct, r.kind, honest);
          const b = await counted(direct, r.kind, spoofed);

          // Assess (keys, not counts: earlier runs may have blocked this address, and a blocked client costs no
          // counting at all)
          const ip = normaliseIp(r.sourceIp)!;
          const own = [`ip#${ip}`, `prefix#${networkPrefix(ip)}`];
          expect([a.ip, b.ip]).toEqual([ip, ip]);
          for (const key of [...a.keys, ...b.keys]) expect(own).toContain(key);
        }),
        { numRuns: 150 },
      ),
    );
  });

  it('TRUSTED_PROXY_COUNT=1: only the rightmost X-Forwarded-For entry (written by the trusted proxy) counts', async () => {
    await quietly(() =>
      fc.assert(
        fc.asyncProperty(
          request,
          forged,
          fc.ipV4(),
          fc.array(ipLike, { maxLength: 4 }),
          async (r, headers, proxySaw, clientWritten) => {
            // Prepare: whatever the client wrote, the trusted proxy appends the peer it saw.
            const spoofed = Object.fromEntries(
              Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'x-forwarded-for'),
            );
            spoofed['X-Forwarded-For'] = [...clientWritten, proxySaw].join(', ');

            // Act
            const seen = await counted(behindOne, r.kind, event(r, behindOne.validToken, spoofed));

            // Assess
            expect(seen.ip).toBe(proxySaw);
          },
        ),
        { numRuns: 100 },
      ),
    );
  });
});
