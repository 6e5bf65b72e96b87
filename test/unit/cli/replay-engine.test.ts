import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '../../../lambdas/policy/policy';
import { formatReplay, replayAccessLog } from '../../../lib/cli/replay';
import { MemoryCounterStore } from '../../../lib/local/memory-counter-store';
import type { ReplayLine } from '../../../lib/replay/formats/types';
import { renderReplayHtml } from '../../../lib/replay/report-html';
import { runEngine } from '../../../lib/replay/run';
import { summarise } from '../../../lib/replay/summary';
import { replayOffsetMs } from '../../../lib/replay/timeline';

const FIXTURE = 'test/e2e/fixtures/recorded-access-log.jsonl';
const POLICY = 'test/e2e/fixtures/demo-policy.json';
const DAY = 86_400_000;

function line(i: number, atMs: number, fields: Partial<ReplayLine>): ReplayLine {
  return {
    requestId: `req-${i}`,
    ip: '203.0.113.50',
    requestTimeEpoch: atMs,
    httpMethod: 'GET',
    resource: '/shop',
    path: '/shop',
    status: 200,
    responseLatency: 0,
    userAgent: '',
    principalId: '',
    tokenHash: '',
    recordedBy: 'other',
    ...fields,
  };
}

describe('replay: reproducible', () => {
  it('the same file gives byte-identical reports, whatever day it is replayed on', {
    timeout: 120_000,
  }, async () => {
    // Prepare: two replays, three days and five hours apart on the clock
    const now = Date.UTC(2026, 11, 2, 16, 0, 0);
    const run = (at: number) =>
      replayAccessLog({
        file: FIXTURE,
        policyFile: POLICY,
        inMemory: true,
        containers: 8,
        seed: 3,
        now: () => at,
      });
    // Act
    const first = await run(now);
    const second = await run(now + 3 * DAY + 5 * 3_600_000);
    // Assess
    expect(formatReplay(second)).toBe(formatReplay(first));
    const html = renderReplayHtml(first.summary, first.meta);
    expect(renderReplayHtml(second.summary, second.meta)).toBe(html);
    // Self-contained: inline SVG chart, no scripts, nothing fetched.
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(formatReplay(first)).toContain('fleet model: 8 container(s), seed 3');
    expect(first.fleet.size).toBe(8);
    // Reports show recorded times, never replayed ones.
    expect(formatReplay(first)).toContain('from 2024-06-17T04:53:20.360Z');
  });

  it('moves recorded times by whole days, ahead of the clock', () => {
    // Act
    const first = Date.UTC(2024, 5, 17, 23, 59, 59, 500);
    const now = Date.UTC(2026, 11, 2, 0, 0, 1);
    const offset = replayOffsetMs(first, now);
    // Assess: every window (minute, 10-minute epoch, hour, day) keeps its phase
    expect(offset % DAY).toBe(0);
    expect(first + offset).toBeGreaterThan(now);
    expect(first + offset - now).toBeLessThan(2 * DAY);
  });
});

describe('replay: the engine on what the log carries', () => {
  it('judges the user agent on a browser-facing route, never the headers the log does not carry', async () => {
    // Prepare: a browser-facing route; a browser agent (its Accept headers were never logged), a scanner and a tool
    const policy = resolvePolicy({
      mode: 'enforce',
      routes: [{ match: 'GET /shop', access: 'public', browserFacing: true }],
    });
    const t0 = Date.UTC(2024, 5, 17, 12, 0, 0);
    const browser =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
    const lines = [
      line(1, t0, { ip: '198.51.100.1', userAgent: browser, label: 'human' }),
      line(2, t0 + 1000, {
        ip: '203.0.113.7',
        userAgent: 'sqlmap/1.8#stable (https://sqlmap.org)',
        label: 'bot',
      }),
      line(3, t0 + 2000, { ip: '203.0.113.8', userAgent: 'curl/8.5.0', label: 'bot' }),
      line(4, t0 + 3000, { ip: '198.51.100.2', userAgent: '', label: 'human' }),
    ];
    // Act
    const run = await runEngine({
      lines,
      policy,
      store: new MemoryCounterStore(),
      containers: 2,
      seed: 1,
      offsetMs: 0,
    });
    // Assess
    const automation = run.requests.map(
      (r) => r.decision.signals.find((s) => s.name === 'automation')?.reason ?? '-',
    );
    expect(automation).toEqual(['-', 'scanner user agent: sqlmap', 'tool user agent: curl', 'no user agent']);
  });

  it('counts a stuffer as one blocked client and refuses what it sends while blocked', async () => {
    // Prepare: an anonymous client failing the authorizer 60 times in a minute (Gatewarden log: 401, no risk band),
    // then browsing a public route for a minute; a person alongside
    const t0 = Date.UTC(2024, 5, 17, 12, 0, 0);
    const lines: ReplayLine[] = [];
    for (let i = 0; i < 60; i += 1) {
      lines.push(
        line(i, t0 + i * 1000, {
          path: '/orders',
          resource: '/orders',
          status: 401,
          recordedBy: 'gatewarden',
          label: 'bot',
        }),
      );
    }
    for (let i = 0; i < 30; i += 1) {
      lines.push(
        line(100 + i, t0 + 60_000 + i * 2000, {
          path: '/catalog',
          resource: '/catalog',
          recordedBy: 'gatewarden',
          riskBand: 'allow',
          label: 'bot',
        }),
      );
      lines.push(
        line(200 + i, t0 + 60_000 + i * 2000 + 500, {
          ip: '198.51.100.9',
          path: '/catalog',
          resource: '/catalog',
          recordedBy: 'gatewarden',
          riskBand: 'allow',
          principalId: 'ann',
          tokenHash: 'aa11',
          label: 'human',
        }),
      );
    }
    lines.sort((a, b) => a.requestTimeEpoch - b.requestTimeEpoch);
    const policy = resolvePolicy({ mode: 'enforce', routes: [{ match: 'GET /catalog', access: 'public' }] });
    // Act
    const run = await runEngine({
      lines,
      policy,
      store: new MemoryCounterStore(),
      containers: 8,
      seed: 1,
      offsetMs: 0,
    });
    const s = summarise(run.requests, run.blocks);
    // Assess: one distinct client blocked, however many block records; everything it sent while blocked refused
    expect(s.blockedClients.map((b) => `${b.scope} ${b.value}`)).toEqual(['ip 203.0.113.50']);
    const browsing = s.byRoute.find((r) => r.route === 'GET /catalog')!;
    expect(browsing.requests).toBe(30);
    expect(s.byCause.find((c) => c.cause === 'block: invalid-auth')?.requests).toBeGreaterThanOrEqual(30);
    expect(s.humans.refused).toBe(0);
    expect(s.bots).toMatchObject({ requests: 90, refused: 90, refusedClients: 1 });
  });
});

describe('replay: command', () => {
  it('under the default policy (protected routes), anonymous requests are refused as 401s and counted', async () => {
    // Prepare: a stage's console-format JSON log (no principal), two people browsing
    const file = join(tmpdir(), `gw-replay-anon-${process.pid}.log`);
    const html = join(tmpdir(), `gw-replay-anon-${process.pid}.html`);
    const t0 = Date.UTC(2024, 5, 17, 12, 0, 0);
    const lines = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({
        requestId: `r${i}`,
        ip: i % 2 === 0 ? '198.51.100.1' : '198.51.100.2',
        requestTime: new Date(t0 + i * 5000).toISOString(),
        httpMethod: 'GET',
        routeKey: 'GET /items/{id}',
        path: `/items/${i}`,
        status: '200',
        label: 'human',
      }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    // Act
    const result = await replayAccessLog({ file, inMemory: true, htmlPath: html });
    // Assess
    expect(result.meta.format).toBe('apigw-json');
    expect(result.summary.refused).toMatchObject({ requests: 20, ips: 2, humanRequests: 20 });
    expect(result.summary.byCause.map((c) => c.cause)).toEqual(['401 missing credentials']);
    expect(formatReplay(result)).toContain('humans 20 of 20 requests refused (2 of 2 people)');
    expect(readFileSync(html, 'utf8')).toContain('401 missing credentials');
  });

  it('refuses an unrecognised file with the way out', async () => {
    // Prepare
    const file = join(tmpdir(), `gw-replay-${process.pid}.log`);
    writeFileSync(file, 'hello\nworld\n');
    // Act / Assess
    await expect(replayAccessLog({ file, inMemory: true })).rejects.toThrow(
      /format not recognised; pass --format/,
    );
  });
});
