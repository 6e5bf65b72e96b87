import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WafIpSets } from '../../lambdas/adapters/waf-ip-sets';
import { parseWafCidr } from '../../lambdas/ipset/address';
import { planCapacity } from '../../lambdas/ipset/capacity';
import { desiredState } from '../../lambdas/ipset/desired-state';
import { parseIpSetArn } from '../../lambdas/ipset/ip-set-arn';
import { reconcile } from '../../lambdas/ipset/reconcile';
import type { BlockRecord } from '../../lambdas/store/table-schema';
import { mockWafClient, WafModel } from '../../lib/local/waf-model';
import { NOW } from '../helpers/block-records';

// Small pools so records collide: same address in several spellings, hosts inside blocked prefixes.
const v4Hosts = [
  '192.0.2.1',
  '192.0.2.2',
  '192.0.2.200',
  '198.51.100.7',
  '203.0.113.9',
  '::ffff:203.0.113.10',
];
const v4Prefixes = ['192.0.2.0/24', '198.51.100.0/25', '10.0.0.0/8'];
const v6Hosts = ['2001:db8::1', '2001:DB8:0:0:0:0:0:2', '2001:db8:1::abcd', 'fe80::1'];
const v6Prefixes = ['2001:db8:1::/48', '2001:db8:2::/64'];
const garbage = ['192.0.2.99/32', '172.16.0.0/12', '2001:db8:ffff::/48'];

const blockArb: fc.Arbitrary<BlockRecord> = fc
  .record({
    kind: fc.constantFrom('v4', 'v4p', 'v6', 'v6p', 'token'),
    pick: fc.nat(),
    score: fc.integer({ min: 0, max: 100 }),
    offences: fc.integer({ min: 1, max: 5 }),
    ttl: fc.integer({ min: -600, max: 3600 }),
    simulated: fc.boolean(),
  })
  .map(({ kind, pick, score, offences, ttl, simulated }) => {
    const pool = { v4: v4Hosts, v4p: v4Prefixes, v6: v6Hosts, v6p: v6Prefixes, token: ['t1', 't2'] }[kind];
    const scope = kind === 'token' ? 'token' : kind.endsWith('p') ? 'prefix' : 'ip';
    return {
      scope,
      value: pool[pick % pool.length]!,
      createdAt: NOW - 100,
      expiresAt: NOW + ttl,
      score,
      reason: 'property',
      offences,
      simulated,
    } satisfies BlockRecord;
  });

/** Runs `reconcilers` concurrent reconciles against one WAF model, interleaved by the fast-check scheduler. */
async function runConcurrently(
  scheduler: fc.Scheduler,
  blocks: BlockRecord[],
  reconcilers: number,
  initial: { v4: string[]; v6: string[] },
  highWater: number,
) {
  let time = 0;
  const model = new WafModel({ now: () => time, maxUpdatesPerSecond: 1 });
  const v4a = model.createIpSet({ name: 'v4-a', version: 'IPV4', addresses: initial.v4 });
  const v4b = model.createIpSet({ name: 'v4-b', version: 'IPV4' });
  const v6 = model.createIpSet({ name: 'v6', version: 'IPV6', addresses: initial.v6 });
  // Every WAF call and every sleep is a point where the scheduler may switch to another reconciler.
  const stub = mockWafClient(model, { beforeCall: () => scheduler.schedule(Promise.resolve(), 'waf call') });
  const ipSets = { IPV4: [parseIpSetArn(v4a.arn), parseIpSetArn(v4b.arn)], IPV6: [parseIpSetArn(v6.arn)] };
  try {
    const runs = Array.from({ length: reconcilers }, (_, i) => {
      // Separate WafIpSets = separate processes: separate pacers, so WAF's own throttling is exercised.
      const writer = new WafIpSets({
        random: () => ((i * 7919 + time) % 1000) / 1000,
        clock: {
          now: () => time,
          sleep: (ms) =>
            scheduler.schedule(Promise.resolve(), `sleep ${ms}`).then(() => {
              time += ms;
            }),
        },
      });
      return reconcile(
        { records: blocks, nowSeconds: NOW, ipSets, highWater, collapseMinEntries: 0 },
        writer,
      );
    });
    const reports = await scheduler.waitFor(Promise.all(runs));
    return { model, reports, sets: { v4a, v4b, v6 } };
  } finally {
    stub.restore();
  }
}

describe('concurrent reconcilers (property)', () => {
  const totals = { lockConflicts: 0, throttled: 0 };

  it.each([2, 4])(
    '%i reconcilers with lock conflicts and throttling end with the sets equal to the desired state',
    async (reconcilers) => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.array(blockArb, { maxLength: 25 }),
          fc.subarray(garbage),
          fc.subarray(['2001:db8:ffff::/48']),
          fc.integer({ min: 2, max: 20 }),
          async (scheduler, blocks, initialV4, initialV6, highWater) => {
            // Prepare
            const v4Garbage = initialV4.filter((a) => !a.includes(':'));

            // Act
            const { model, reports, sets } = await runConcurrently(
              scheduler,
              blocks,
              reconcilers,
              { v4: v4Garbage, v6: initialV6 },
              highWater,
            );

            // Assess: every reconciler finished, and WAF holds exactly the plan for these blocks.
            totals.lockConflicts += model.stats.lockConflicts;
            totals.throttled += model.stats.throttled;
            for (const report of reports) expect(report.ok).toBe(true);
            const desired = desiredState(blocks, NOW);
            const plan4 = planCapacity('IPV4', desired.entries.IPV4, {
              setCount: 2,
              highWater,
              collapseMinEntries: 0,
            });
            const plan6 = planCapacity('IPV6', desired.entries.IPV6, {
              setCount: 1,
              highWater,
              collapseMinEntries: 0,
            });
            expect(model.addresses(sets.v4a.arn).sort()).toEqual([...plan4.sets[0]!].sort());
            expect(model.addresses(sets.v4b.arn).sort()).toEqual([...plan4.sets[1]!].sort());
            expect(model.addresses(sets.v6.arn).sort()).toEqual([...plan6.sets[0]!].sort());

            // Independent of the planner: nothing simulated-only, expired-only or foreign is in WAF, and every
            // enforced block that fits is covered.
            const inWaf = [sets.v4a, sets.v4b, sets.v6]
              .flatMap((s) => model.addresses(s.arn))
              .map(parseWafCidr);
            const enforced = blocks.filter(
              (b) => (b.scope === 'ip' || b.scope === 'prefix') && !b.simulated && b.expiresAt > NOW,
            );
            const enforcedCidrs = enforced.map((b) => parseWafCidr(b.value));
            for (const entry of inWaf) {
              expect(
                enforcedCidrs.some(
                  (e) =>
                    e.version === entry.version &&
                    e.network === entry.network &&
                    e.prefixLength === entry.prefixLength,
                ),
              ).toBe(true);
            }
            const leftOut = new Set([...plan4.leftOut, ...plan6.leftOut].map((e) => e.cidr));
            for (const wanted of enforcedCidrs) {
              if (leftOut.has(wanted.cidr)) continue;
              const covered = inWaf.some(
                (e) =>
                  e.version === wanted.version &&
                  e.prefixLength <= wanted.prefixLength &&
                  wanted.network >> BigInt((e.version === 'IPV4' ? 32 : 128) - e.prefixLength) ===
                    e.network >> BigInt((e.version === 'IPV4' ? 32 : 128) - e.prefixLength),
              );
              expect(covered).toBe(true);
            }
          },
        ),
        { numRuns: 60 },
      );
    },
  );

  it('the runs above really met lock conflicts and throttling', () => {
    // Assess (the property is only meaningful if the hard paths were taken)
    expect(totals.lockConflicts).toBeGreaterThan(0);
    expect(totals.throttled).toBeGreaterThan(0);
  });
});
