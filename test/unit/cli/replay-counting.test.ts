import { describe, expect, it } from 'vitest';
import type { BlockRecord } from '../../../lambdas/store/table-schema';
import type { ReplayLine } from '../../../lib/replay/formats/types';
import type { ReplayDecision, ReplayedRequest } from '../../../lib/replay/run';
import { summarise, unionSeconds } from '../../../lib/replay/summary';
import { classifyRequests } from '../../../lib/replay/tally';

/**
 * The enforce-mode counting on a small hand-made log: what each request's decision was, and the blocks the engine
 * recorded. Times are seconds after T0.
 */
const T0 = 1_718_600_000_000;
let n = 0;

function req(
  s: number,
  who: { ip: string; subject?: string; label?: 'human' | 'bot' },
  route: string,
  decision: Partial<ReplayDecision> = {},
): ReplayedRequest {
  n += 1;
  const line: ReplayLine = {
    requestId: `r${n}`,
    ip: who.ip,
    requestTimeEpoch: T0 + s * 1000,
    httpMethod: route.split(' ')[0]!,
    resource: route.split(' ')[1]!,
    path: route.split(' ')[1]!,
    status: 200,
    responseLatency: 0,
    userAgent: 'ua',
    principalId: who.subject ?? '',
    tokenHash: who.subject ? `tok-${who.subject}` : '',
    recordedBy: 'gatewarden',
    ...(who.label ? { label: who.label } : {}),
  };
  return {
    line,
    decision: {
      decisionId: `r${n}`,
      route,
      ip: who.ip,
      subject: who.subject,
      tokenHash: who.subject ? `tok-${who.subject}` : undefined,
      band: 'allow',
      effect: 'allow',
      signals: [],
      reason: 'no signal',
      ...decision,
    },
  };
}

const sig = (name: string, contribution: number) => ({
  name: name as ReplayDecision['signals'][number]['name'],
  contribution,
  observed: 1,
  threshold: 1,
  reason: name,
});

function block(
  scope: BlockRecord['scope'],
  value: string,
  fromS: number,
  forS: number,
  reason: string,
  decisionId: string,
): BlockRecord {
  const createdAt = Math.floor((T0 + fromS * 1000) / 1000);
  return {
    scope,
    value,
    createdAt,
    expiresAt: createdAt + forS,
    score: 95,
    reason,
    offences: 1,
    simulated: false,
    decisionId,
    origin: 'engine',
  };
}

const stuffer = { ip: '203.0.113.9', label: 'bot' as const };
const neighbour = { ip: '203.0.113.77', label: 'bot' as const };
const alice = { ip: '198.51.100.4', subject: 'alice', label: 'human' as const };
const bob = { ip: '198.51.100.5', label: 'human' as const };

/** A hand-made log: a credential stuffer blocked by IP, then by prefix; a person hit once; a person served. */
function handMadeLog(): { requests: ReplayedRequest[]; blocks: BlockRecord[] } {
  n = 0;
  const requests = [
    req(0, bob, 'GET /catalog'),
    // three failed logins; the third blocks the IP (the 401 is its own answer, the block starts with it)
    req(1, stuffer, 'POST /login', { effect: 'unauthorized', authFailure: 'invalid-signature' }),
    req(2, stuffer, 'POST /login', { effect: 'unauthorized', authFailure: 'invalid-signature' }),
    req(3, stuffer, 'POST /login', { effect: 'unauthorized', authFailure: 'invalid-signature' }),
    // inside the block: one answered by a container that knew (band block), one by one that did not yet (401), one
    // that container even let through
    req(4, stuffer, 'POST /login', { band: 'block', effect: 'deny', reason: 'blocked (ip): invalid-auth' }),
    req(5, stuffer, 'POST /login', { effect: 'unauthorized', authFailure: 'invalid-signature' }),
    req(6, stuffer, 'GET /catalog'),
    // anonymous on a protected route
    req(7, bob, 'GET /orders', { effect: 'unauthorized', authFailure: 'missing-credentials' }),
    // a person denied once by a score
    req(8, alice, 'GET /items/{id}', {
      band: 'deny',
      effect: 'deny',
      signals: [sig('volume-subject', 75)],
      reason: 'volume-subject',
    }),
    req(9, alice, 'GET /items/{id}'),
    // the neighbour on the same /24 triggers a prefix block with its own request
    req(10, neighbour, 'GET /catalog', {
      band: 'block',
      effect: 'deny',
      signals: [sig('volume-prefix', 95)],
      reason: 'volume-prefix',
      blocked: { scope: 'prefix', value: '203.0.113.0/24', until: T0 / 1000 + 10 + 600, simulated: false },
    }),
    // the stuffer again, after its IP block (900 s) ended but inside the prefix block: refused by the prefix block
    req(905, stuffer, 'GET /catalog'),
    // after both blocks: served
    req(2000, stuffer, 'GET /catalog'),
  ];
  const blocks = [
    block('ip', stuffer.ip, 3, 900, 'invalid-auth', 'r4'),
    block('prefix', '203.0.113.0/24', 10, 900, 'volume-prefix', 'r11'),
  ];
  return { requests, blocks };
}

describe('replay: enforce-mode counting', () => {
  it('counts every request under a block as refused by it, whatever the serving container knew', () => {
    // Prepare
    const { requests, blocks } = handMadeLog();
    // Act
    const { refusals, unseenBlockRequests } = classifyRequests(requests, blocks);
    // Assess
    expect(refusals.map((r) => r?.cause ?? 'served')).toEqual([
      'served',
      '401 failed authentication',
      '401 failed authentication',
      '401 failed authentication', // the request that triggered the IP block is refused by its own 401
      'block: invalid-auth',
      'block: invalid-auth', // a 401 from a container that had not read the block
      'block: invalid-auth', // let through by a container that had not read the block
      '401 missing credentials',
      'deny: volume-subject',
      'served',
      'block: volume-prefix', // its own score blocked it
      'block: volume-prefix', // the stuffer, under its neighbour's prefix block
      'served',
    ]);
    expect(unseenBlockRequests).toBe(3);
  });

  it('reports refused requests and distinct clients, per cause and per route, with the humans/bots split', () => {
    // Prepare
    const { requests, blocks } = handMadeLog();
    // Act
    const s = summarise(requests, blocks);
    // Assess
    expect(s.requests).toBe(13);
    expect(s.refused).toEqual({ requests: 10, ips: 4, subjects: 1, humanRequests: 2, botRequests: 8 });
    expect(s.byCause).toEqual([
      {
        cause: '401 failed authentication',
        requests: 3,
        ips: 1,
        subjects: 0,
        humanRequests: 0,
        botRequests: 3,
      },
      { cause: 'block: invalid-auth', requests: 3, ips: 1, subjects: 0, humanRequests: 0, botRequests: 3 },
      { cause: 'block: volume-prefix', requests: 2, ips: 2, subjects: 0, humanRequests: 0, botRequests: 2 },
      {
        cause: '401 missing credentials',
        requests: 1,
        ips: 1,
        subjects: 0,
        humanRequests: 1,
        botRequests: 0,
      },
      { cause: 'deny: volume-subject', requests: 1, ips: 1, subjects: 1, humanRequests: 1, botRequests: 0 },
    ]);
    expect(s.byRoute.map((r) => [r.route, r.total, r.requests, r.ips])).toEqual([
      ['POST /login', 5, 5, 1],
      ['GET /catalog', 5, 3, 2],
      ['GET /items/{id}', 2, 1, 1],
      ['GET /orders', 1, 1, 1],
    ]);
    expect(s.bots).toEqual({ requests: 9, refused: 8, clients: 2, refusedClients: 2 });
    expect(s.humans).toEqual({ requests: 4, refused: 2, clients: 2, refusedClients: 2 });
    expect(s.humansHit.map((h) => [h.client, h.refused, h.requests, h.causes])).toEqual([
      ['198.51.100.5', 1, 2, ['401 missing credentials']],
      ['alice', 1, 2, ['deny: volume-subject']],
    ]);
  });

  it('reports blocks as distinct clients with how long each was blocked, not as block records', () => {
    // Prepare: the stuffer's IP blocked twice, overlapping (an escalation while the first still ran)
    const { requests, blocks } = handMadeLog();
    const again = block('ip', stuffer.ip, 600, 1800, 'invalid-auth', 'r6');
    // Act
    const s = summarise(requests, [...blocks, again]);
    // Assess
    expect(
      s.blockedClients.map((b) => [`${b.scope} ${b.value}`, b.blocks, b.blockedSeconds, b.label]),
    ).toEqual([
      ['ip 203.0.113.9', 2, 600 - 3 + 1800, 'bot'],
      ['prefix 203.0.113.0/24', 1, 900, 'bot'],
    ]);
    expect(
      unionSeconds([
        [0, 10],
        [5, 20],
        [30, 40],
      ]),
    ).toBe(30);
  });

  it('counts nothing as refused on a log the policy leaves alone', () => {
    // Prepare
    n = 0;
    const quiet = [req(0, bob, 'GET /catalog'), req(1, alice, 'GET /items/{id}')];
    // Act
    const s = summarise(quiet, []);
    // Assess
    expect(s.refused.requests).toBe(0);
    expect(s.blockedClients).toEqual([]);
    expect(s.byCause).toEqual([]);
  });
});
