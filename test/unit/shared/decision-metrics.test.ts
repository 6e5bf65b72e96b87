import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import type { DecisionRecord } from '../../../lambdas/engine/engine';
import {
  DecisionMetrics,
  FLUSH_INTERVAL_MS,
  URGENT_FLUSH_INTERVAL_MS,
} from '../../../lambdas/shared/decision-metrics';
import { decisionLine, PowertoolsTelemetry } from '../../../lambdas/shared/observability';

const record = (overrides: Partial<DecisionRecord> = {}): DecisionRecord => ({
  decisionId: 'req-1',
  requestId: 'req-1',
  route: 'GET /orders/{id}',
  method: 'GET',
  ip: '198.51.100.23',
  subject: 'user-1',
  tokenHash: '9f2c1ab4e5d6f7a8',
  mode: 'enforce',
  band: 'allow',
  score: 3,
  effect: 'allow',
  signals: [{ name: 'volume-subject', contribution: 3, observed: 12, threshold: 120, reason: '12 requests' }],
  reason: 'volume-subject',
  latencyMs: 0.42,
  ...overrides,
});

type Emf = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};

/** Sum of a metric over documents, per value of one dimension ('' = no dimension). */
function totals(
  documents: Record<string, unknown>[],
  metric: string,
  dimension?: string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of documents as Emf[]) {
    const value = d[metric];
    if (value === undefined) continue;
    const key = dimension ? String(d[dimension]) : '';
    const n = Array.isArray(value) ? value.length : Number(value);
    out.set(key, (out.get(key) ?? 0) + n);
  }
  return out;
}

describe('DecisionMetrics', () => {
  it('counts route-authorization refusals by reason (AuthzFailure)', () => {
    // Arrange
    const m = new DecisionMetrics();
    m.record(record({ band: 'deny', effect: 'deny', signals: [], authzFailure: 'not-owner' }));
    m.record(record({ band: 'deny', effect: 'deny', signals: [], authzFailure: 'not-owner' }));
    m.record(record({ band: 'deny', effect: 'deny', signals: [], authzFailure: 'insufficient-scope' }));

    // Act
    const documents = m.drain(1_000_000, 'Gatewarden', 'gatewarden');

    // Assess
    expect(totals(documents, 'AuthzFailure', 'Reason')).toEqual(
      new Map([
        ['not-owner', 2],
        ['insufficient-scope', 1],
      ]),
    );
  });

  it('counts every decision by band, signal and auth failure, and keeps every latency value', () => {
    // Arrange
    const m = new DecisionMetrics();
    for (let i = 0; i < 230; i += 1) m.record(record({ latencyMs: i / 10 }));
    for (let i = 0; i < 7; i += 1) m.record(record({ band: 'deny', effect: 'deny', score: 80 }));
    for (let i = 0; i < 5; i += 1) {
      m.record(
        record({ band: 'allow', effect: 'unauthorized', signals: [], authFailure: 'expired', score: 0 }),
      );
    }
    m.record(record({ failOpen: true, signals: [] }));

    // Act
    const documents = m.drain(1_000_000, 'Gatewarden', 'gatewarden');

    // Assess
    expect(totals(documents, 'Decision', 'Band')).toEqual(
      new Map([
        ['allow', 236],
        ['deny', 7],
      ]),
    );
    expect(totals(documents, 'SignalFired', 'Signal')).toEqual(new Map([['volume-subject', 237]]));
    expect(totals(documents, 'AuthFailure', 'Reason')).toEqual(new Map([['expired', 5]]));
    expect(totals(documents, 'FailOpen')).toEqual(new Map([['', 1]]));
    const latencies = (documents as Emf[]).flatMap((d) => (d.DecisionLatency as number[] | undefined) ?? []);
    expect(latencies).toHaveLength(243);
    expect(latencies.slice(0, 3)).toEqual([0, 0.1, 0.2]);
    // Valid EMF: every dimension named is a member, every metric present, at most 100 values per metric.
    for (const d of documents as Emf[]) {
      const [directive] = d._aws.CloudWatchMetrics;
      for (const set of directive!.Dimensions) for (const name of set) expect(typeof d[name]).toBe('string');
      for (const { Name } of directive!.Metrics) {
        const v = d[Name];
        expect(Array.isArray(v) ? v.length <= 100 : typeof v === 'number').toBe(true);
      }
    }
    // Decision counts reach the service-wide metric too.
    const decisionDocs = (documents as Emf[]).filter((d) => d.Decision !== undefined);
    for (const d of decisionDocs) expect(d._aws.CloudWatchMetrics[0]!.Dimensions).toContainEqual(['service']);
    expect(m.pending).toBe(false);
  });

  it('flushes at once when quiet, then at most every 10 s, or after 1 s when a refusal waits', () => {
    const m = new DecisionMetrics();
    const t0 = 5_000_000;
    m.record(record());
    expect(m.drain(t0, 'N', 's')).not.toEqual([]);

    m.record(record());
    expect(m.drain(t0 + 2_000, 'N', 's')).toEqual([]);
    expect(m.drain(t0 + FLUSH_INTERVAL_MS, 'N', 's')).not.toEqual([]);

    const t1 = t0 + FLUSH_INTERVAL_MS;
    m.record(record({ band: 'block', effect: 'deny', score: 100 }));
    expect(m.drain(t1 + URGENT_FLUSH_INTERVAL_MS - 1, 'N', 's')).toEqual([]);
    expect(m.drain(t1 + URGENT_FLUSH_INTERVAL_MS, 'N', 's')).not.toEqual([]);

    m.record(record());
    expect(m.drain(t1 + URGENT_FLUSH_INTERVAL_MS + 1, 'N', 's', true)).not.toEqual([]);
    expect(m.drain(t1 + 60_000, 'N', 's')).toEqual([]);
  });
});

describe('decisionLine', () => {
  it('an ordinary allow is compact: no repeated id, method, reason or signal detail', () => {
    const line = decisionLine(record());
    expect(line).toEqual({
      level: 'INFO',
      message: 'decision',
      requestId: 'req-1',
      route: 'GET /orders/{id}',
      ip: '198.51.100.23',
      subject: 'user-1',
      tokenHash: '9f2c1ab4e5d6f7a8',
      band: 'allow',
      score: 3,
      effect: 'allow',
      signals: ['volume-subject:3'],
      latencyMs: 0.42,
    });
    expect(JSON.stringify(line).length).toBeLessThan(260);
  });

  it('a plain allow (score 0, no signal) is DEBUG: the access log holds it; any contribution makes it INFO', () => {
    expect(decisionLine(record({ score: 0, signals: [] })).level).toBe('DEBUG');
    expect(decisionLine(record({ score: 0, signals: [] })).signals).toEqual([]);
    expect(decisionLine(record()).level).toBe('INFO');
    expect(decisionLine(record({ score: 1, signals: [] })).level).toBe('INFO');
    expect(decisionLine(record({ score: 0, signals: [], failOpen: true })).level).toBe('INFO');
    expect(decisionLine(record({ score: 0, signals: [], band: 'flag' })).level).toBe('INFO');
    expect(decisionLine(record({ score: 0, signals: [], effect: 'unauthorized', band: 'deny' })).level).toBe(
      'WARN',
    );
  });

  it('a refusal carries the full record; shadow mode and a distinct decision id are written', () => {
    const line = decisionLine(
      record({
        decisionId: 'd-9',
        route: '$default',
        band: 'deny',
        effect: 'allow',
        mode: 'shadow',
        score: 75,
        reason: 'token-sharing',
      }),
    );
    expect(line).toMatchObject({
      level: 'INFO',
      decisionId: 'd-9',
      method: 'GET',
      mode: 'shadow',
      band: 'deny',
      reason: 'token-sharing',
      signals: [
        { name: 'volume-subject', contribution: 3, observed: 12, threshold: 120, reason: '12 requests' },
      ],
    });
  });
});

describe('PowertoolsTelemetry', () => {
  it('writes one line per decision and the aggregated metrics with the first decision that finds them due', () => {
    // Arrange
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const logger = new Logger({ serviceName: 'gw', logLevel: 'INFO' });
    const telemetry = new PowertoolsTelemetry(logger, undefined, new DecisionMetrics(), 'Gatewarden', 'gw');

    // Act
    try {
      telemetry.decision(record());
      telemetry.decision(record({ requestId: 'req-2', decisionId: 'req-2' }));
    } finally {
      spy.mockRestore();
    }

    // Assess: decision 1, its metrics (a quiet container flushes at once), decision 2 (held for 10 s).
    const parsed = written.map((w) => JSON.parse(w) as Record<string, unknown>);
    expect(
      parsed.map((p) => p.message ?? Object.keys(p).find((k) => k !== '_aws' && k !== 'service')),
    ).toEqual(['decision', 'Band', 'Signal', 'DecisionLatency', 'decision']);
    expect(parsed[1]).toMatchObject({ service: 'gw', Band: 'allow', Decision: 1 });
  });

  it('at INFO a plain allow is counted but not written; at DEBUG every decision is written', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const plain = { score: 0, signals: [] };
    const metrics = new DecisionMetrics();
    try {
      const info = new PowertoolsTelemetry(
        new Logger({ serviceName: 'gw', logLevel: 'INFO' }),
        undefined,
        metrics,
      );
      info.decision(record({ ...plain, requestId: 'plain-info' }));
      info.decision(record({ requestId: 'scored-info' }));
      const debug = new PowertoolsTelemetry(
        new Logger({ serviceName: 'gw', logLevel: 'DEBUG' }),
        undefined,
        metrics,
      );
      debug.decision(record({ ...plain, requestId: 'plain-debug' }));
    } finally {
      spy.mockRestore();
    }
    const lines = written.map((w) => JSON.parse(w) as Record<string, unknown>).filter((p) => p.message);
    expect(lines.map((l) => [l.requestId, l.level])).toEqual([
      ['scored-info', 'INFO'],
      ['plain-debug', 'DEBUG'],
    ]);
    const documents = metrics.drain(Date.now() + 60_000, 'Gatewarden', 'gw', true);
    expect(totals(documents, 'Decision', 'Band').get('allow')).toBeGreaterThanOrEqual(2);
  });

  it('follows the logger level: at WARN an ordinary allow is not written, a refusal is, and both are counted', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const metrics = new DecisionMetrics();
    const logger = new Logger({ serviceName: 'gw', logLevel: 'WARN' });
    const telemetry = new PowertoolsTelemetry(logger, undefined, metrics, 'Gatewarden', 'gw');
    try {
      telemetry.decision(record({ requestId: 'allowed' }));
      telemetry.decision(record({ requestId: 'denied', band: 'deny', effect: 'deny', score: 80 }));
    } finally {
      spy.mockRestore();
    }
    const parsed = written.map((w) => JSON.parse(w) as Record<string, unknown>);
    expect(parsed.filter((p) => p.message).map((l) => l.requestId)).toEqual(['denied']);
    const documents = [
      ...parsed.filter((p) => p._aws),
      ...metrics.drain(Date.now() + 60_000, 'Gatewarden', 'gw', true),
    ];
    expect(totals(documents, 'Decision', 'Band')).toEqual(
      new Map([
        ['allow', 1],
        ['deny', 1],
      ]),
    );
  });
});
