import { describe, expect, it } from 'vitest';
import { aggregateFeedback, SAMPLE_BELOW } from '../../../lambdas/log-feedback/aggregate';
import { decodeSubscriptionEvent, parseAccessLogLine } from '../../../lambdas/log-feedback/parse';
import { subscriptionEvent } from '../../../lib/local/cloudwatch-logs';

const line = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    requestId: 'r1',
    ip: '203.0.113.9',
    requestTimeEpoch: 1_700_000_000_000,
    httpMethod: 'POST',
    resource: '/login',
    path: '/login',
    status: 401,
    responseLatency: 12,
    userAgent: 'ua',
    principalId: 'anonymous',
    tokenHash: '-',
    riskBand: 'allow',
    ...over,
  });

describe('access-log parsing', () => {
  it('decodes a subscription delivery and parses the project format, including "-" placeholders', () => {
    const msg = decodeSubscriptionEvent(subscriptionEvent([line(), 'not json', line({ status: 'x' })]));
    expect(msg.messageType).toBe('DATA_MESSAGE');
    const parsed = msg.logEvents.map((e) => parseAccessLogLine(e.message));
    expect(parsed[0]?.tokenHash).toBe('');
    expect(parsed[0]?.status).toBe(401);
    expect(parsed[1]).toBeUndefined();
    expect(parsed[2]).toBeUndefined();
  });

  it('reads the quoted risk score as a number, and "-" (no score from the authorizer) as absent', () => {
    expect(parseAccessLogLine(line({ riskScore: '37' }))?.riskScore).toBe(37);
    expect(parseAccessLogLine(line({ riskScore: '-' }))?.riskScore).toBeUndefined();
    expect(parseAccessLogLine(line({ riskScore: '-' }))?.status).toBe(401);
    expect(parseAccessLogLine(line())?.riskScore).toBeUndefined();
  });

  it('rejects deliveries that are not CloudWatch Logs payloads', () => {
    expect(() => decodeSubscriptionEvent({})).toThrow(/not a CloudWatch Logs event/);
    expect(() => decodeSubscriptionEvent({ awslogs: { data: 'bm90IGd6aXA=' } })).toThrow(/undecodable/);
  });
});

describe('aggregateFeedback', () => {
  it('writes one update per key for a whole batch', () => {
    // Prepare: 50 failed logins from one IP and 50 authenticated 404s of one subject, same prefix
    const lines = [
      ...Array.from({ length: 50 }, () => parseAccessLogLine(line())!),
      ...Array.from(
        { length: 50 },
        () =>
          parseAccessLogLine(
            line({ ip: '203.0.113.10', principalId: 'alice', status: 404, httpMethod: 'GET' }),
          )!,
      ),
    ];
    // Act
    const updates = aggregateFeedback(lines);
    // Assess: ip .9, ip .10, prefix, subject alice
    expect(updates.map((u) => u.pk).sort()).toEqual(
      ['ip#203.0.113.10', 'ip#203.0.113.9', 'prefix#203.0.113.0/24', 'sub#alice'].sort(),
    );
    const minute = Math.floor(1_700_000_000 / 60);
    const ip9 = updates.find((u) => u.pk === 'ip#203.0.113.9')!;
    expect(ip9.add[`f${minute}`]).toBe(50); // backend 401s: failed logins
    expect(ip9.add[`x${minute}`]).toBe(50);
    expect(ip9.add[`r${minute}`]).toBeUndefined(); // anonymous requests were counted by the authorizer
    const alice = updates.find((u) => u.pk === 'sub#alice')!;
    expect(alice.add[`x${minute}`]).toBe(50);
    const prefix = updates.find((u) => u.pk === 'prefix#203.0.113.0/24')!;
    expect(prefix.add[`r${minute}`]).toBe(100);
  });

  it("does not count the authorizer's own 401s and denials as the client's errors twice", () => {
    const updates = aggregateFeedback([
      parseAccessLogLine(line({ riskBand: '-', status: 401 }))!,
      parseAccessLogLine(line({ status: 403, riskBand: 'deny', principalId: 'bob' }))!,
    ]);
    const ip = updates.find((u) => u.pk === 'ip#203.0.113.9');
    expect(Object.keys(ip?.add ?? {}).filter((k) => k.startsWith('f') || k.startsWith('x'))).toEqual([]);
    expect(updates.find((u) => u.pk === 'sub#bob')).toBeUndefined();
  });
});

describe('sampling of quiet keys', () => {
  it('keeps expected request counts exact while writing a fraction of quiet keys', () => {
    // Prepare: 2,000 batches of one authenticated success each, from 2,000 different IPs
    let writes = 0;
    let counted = 0;
    for (let i = 0; i < 2000; i += 1) {
      const updates = aggregateFeedback([
        parseAccessLogLine(
          line({
            requestId: `q${i}`,
            ip: `10.${i % 200}.${Math.floor(i / 200)}.1`,
            principalId: `u${i}`,
            status: 200,
          }),
        )!,
      ]);
      const ipUpdates = updates.filter((u) => u.pk.startsWith('ip#'));
      writes += ipUpdates.length;
      for (const u of ipUpdates) counted += Object.values(u.add).reduce((a, b) => a + b, 0);
    }
    // Assess: about 1/SAMPLE_BELOW of the keys written, total close to 2,000
    expect(writes).toBeLessThan(2000 / SAMPLE_BELOW + 100);
    expect(Math.abs(counted - 2000) / 2000).toBeLessThan(0.2);
  });

  it('always writes keys that carry errors or failed logins', () => {
    const updates = aggregateFeedback([parseAccessLogLine(line({ status: 404, principalId: 'carol' }))!]);
    expect(updates.map((u) => u.pk)).toContain('sub#carol');
  });
});
