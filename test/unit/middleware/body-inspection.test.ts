import middy from '@middy/core';
import { describe, expect, it, vi } from 'vitest';
import { windowCounts } from '../../../lambdas/engine/counter-layout';
import {
  type BodyInspectionLogger,
  bodyInspection,
  callerOf,
  findBodyHits,
  hitUpdates,
  isBodyInspectionConfigError,
  parseBody,
  resolveBodyInspectionConfig,
} from '../../../lambdas/middleware';
import { httpProxyEvent, restProxyEvent } from '../../../lib/local/events';
import { MemoryCounterStore } from '../../../lib/local/memory-counter-store';
import { lambdaContext, loadFixture } from '../../helpers/fixtures';

const LIMITS = { maxBytes: 65_536, maxDepth: 32, maxFields: 2000 };
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

/** A REST proxy event as the local gateway builds it (shape checked against the fixtures below). */
function rest(
  body: string | undefined,
  contentType = 'application/json',
  over: Record<string, unknown> = {},
) {
  return restProxyEvent({
    method: 'POST',
    path: '/cart',
    resource: '/cart',
    headers: { 'Content-Type': contentType, 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64)' },
    sourceIp: '203.0.113.7',
    timeMs: T0,
    body,
    authorizer: { principalId: 'alice', sub: 'alice', riskBand: 'allow' },
    ...over,
  });
}

const hitsOf = (event: unknown, limits = LIMITS) => {
  const parsed = parseBody(event, 'application/json', limits);
  return findBodyHits(parsed.parts);
};

const familiesIn = (event: unknown, contentType?: string, limits = LIMITS) => {
  const ct = contentType ?? callerOf(event, 0, Date.now).headers['content-type'];
  return [...new Set(findBodyHits(parseBody(event, ct, limits).parts).map((h) => h.family))].sort();
};

describe('body parsing and hit extraction', () => {
  it('walks nested JSON and names the field of each hit, never its value', () => {
    // Prepare
    const event = rest(
      JSON.stringify({
        user: { name: "x' OR '1'='1" },
        items: [{ id: 3, note: 'fine' }, { note: '<img src=x onerror=alert(1)>' }],
        plain: 'nothing here',
      }),
    );
    // Act
    const hits = hitsOf(event);
    // Assess
    expect(hits).toEqual(
      expect.arrayContaining([
        { family: 'sqli', field: '$.user.name' },
        { family: 'xss', field: '$.items[1].note' },
      ]),
    );
    expect(hits.some((h) => h.field.includes('plain') || h.field.includes('[0]'))).toBe(false);
    expect(JSON.stringify(hits)).not.toContain('onerror');
  });

  it('judges JSON keys: __proto__ alone, and constructor[prototype] as a path', () => {
    // Act
    const proto = hitsOf(rest('{"__proto__":{"isAdmin":true}}'));
    const ctor = hitsOf(rest('{"constructor":{"prototype":{"isAdmin":true}}}'));
    const harmless = hitsOf(rest('{"constructor":"Ada Lovelace","prototype":"v2 board"}'));
    // Assess
    expect(proto.map((h) => h.family)).toContain('prototype');
    expect(ctor).toContainEqual({ family: 'prototype', field: '$.constructor.prototype' });
    expect(harmless).toEqual([]);
  });

  it('reads form bodies field by field, names and values decoded as a form parser would', () => {
    // Prepare
    const event = rest(
      'comment=hello+world&q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&constructor%5Bprototype%5D%5Bx%5D=1',
      'application/x-www-form-urlencoded; charset=utf-8',
    );
    // Act
    const parsed = parseBody(event, 'application/x-www-form-urlencoded; charset=utf-8', LIMITS);
    const hits = findBodyHits(parsed.parts);
    // Assess
    expect(parsed.format).toBe('form');
    expect(hits).toContainEqual({ family: 'xss', field: 'q' });
    // The field name itself is the payload: it is logged as `*`, never as written.
    expect(hits).toContainEqual({ family: 'prototype', field: '*' });
    expect(hits.some((h) => h.field === 'comment')).toBe(false);
  });

  it('reads text bodies, and judges the whole of a long one in overlapping pieces', () => {
    // Prepare: the payload sits far past the detector's 4 KB window
    const long = `${'lorem ipsum dolor sit amet '.repeat(600)}; cat /etc/passwd ${'x '.repeat(100)}`;
    // Act
    const short = familiesIn(rest('cat /etc/passwd; id', 'text/plain'));
    const far = familiesIn(rest(long, 'text/plain'));
    const clean = familiesIn(rest('lorem ipsum dolor sit amet '.repeat(600), 'text/plain'));
    // Assess
    expect(short).toEqual(expect.arrayContaining(['command', 'traversal']));
    expect(far).toContain('command');
    expect(clean).toEqual([]);
  });

  it('decodes base64 bodies (REST and HTTP API events)', () => {
    // Prepare
    const body = '{"file":"../../../../etc/passwd"}';
    const restEvent = rest(body, 'application/json', { base64: true });
    const httpEvent = httpProxyEvent({
      method: 'POST',
      path: '/cart',
      resource: '/cart',
      headers: { 'content-type': 'application/json' },
      sourceIp: '203.0.113.7',
      timeMs: T0,
      body,
      base64: true,
      authorizer: { sub: 'bob' },
    });
    // Act / Assess
    expect(restEvent.isBase64Encoded).toBe(true);
    expect(String(restEvent.body)).not.toContain('passwd');
    expect(familiesIn(restEvent)).toEqual(['traversal']);
    expect(familiesIn(httpEvent)).toEqual(['traversal']);
  });

  it('judges malformed JSON as text', () => {
    // Act
    const parsed = parseBody(
      rest('{"a": "1 UNION SELECT password FROM users --"'),
      'application/json',
      LIMITS,
    );
    // Assess
    expect(parsed).toMatchObject({ format: 'text', malformed: true });
    expect(findBodyHits(parsed.parts).map((h) => h.family)).toContain('sqli');
  });

  it('reads no more than maxBytes of an oversize body, as text', () => {
    // Prepare: a probe at the start and one past the bound
    const padding = 'a'.repeat(2048);
    const early = rest(`{"q":"<script>alert(1)</script>","pad":"${padding}"}`);
    const late = rest(`{"pad":"${padding}","q":"<script>alert(1)</script>"}`);
    const limits = { ...LIMITS, maxBytes: 1024 };
    // Act
    const earlyParsed = parseBody(early, 'application/json', limits);
    const lateParsed = parseBody(late, 'application/json', limits);
    // Assess
    expect(earlyParsed).toMatchObject({ format: 'text', oversize: true });
    expect(findBodyHits(earlyParsed.parts).map((h) => h.family)).toContain('xss');
    // The documented bound: what lies past maxBytes is not judged.
    expect(lateParsed.oversize).toBe(true);
    expect(findBodyHits(lateParsed.parts)).toEqual([]);
    expect(lateParsed.parts.reduce((n, p) => n + p.part.value.length, 0)).toBeLessThanOrEqual(1024);
  });

  it('stops at maxDepth and maxFields, and says so', () => {
    // Prepare: a probe 40 levels down; a probe as the 50th field
    let deep: unknown = { q: "' OR 1=1 --" };
    for (let i = 0; i < 40; i += 1) deep = { n: deep };
    const wide = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`k${i}`, i === 49 ? "' OR 1=1 --" : 'ok']),
    );
    // Act
    const cut = parseBody(rest(JSON.stringify(deep)), 'application/json', { ...LIMITS, maxDepth: 32 });
    const whole = parseBody(rest(JSON.stringify(deep)), 'application/json', { ...LIMITS, maxDepth: 64 });
    const narrow = parseBody(rest(JSON.stringify(wide)), 'application/json', { ...LIMITS, maxFields: 40 });
    // Assess
    expect(cut.truncated).toBe(true);
    expect(findBodyHits(cut.parts)).toEqual([]);
    expect(whole.truncated).toBe(false);
    expect(findBodyHits(whole.parts).map((h) => h.family)).toEqual(['sqli']);
    expect(narrow.truncated).toBe(true);
    expect(findBodyHits(narrow.parts)).toEqual([]);
  });

  it('skips binary and multipart bodies, and sniffs JSON when no content type is given', () => {
    // Act
    const binary = parseBody(rest('<script>alert(1)</script>'), 'image/png', LIMITS);
    const multipart = parseBody(rest('<script>alert(1)</script>'), 'multipart/form-data; boundary=x', LIMITS);
    const sniffed = parseBody(rest('{"q":"<script>alert(1)</script>"}'), undefined, LIMITS);
    const none = parseBody(rest(undefined), 'application/json', LIMITS);
    // Assess
    expect(binary.format).toBe('skipped');
    expect(multipart.format).toBe('skipped');
    expect(sniffed.format).toBe('json');
    expect(findBodyHits(sniffed.parts)).toEqual([{ family: 'xss', field: '$.q' }]);
    expect(none.format).toBe('none');
  });

  it('flags nothing in ordinary shop bodies', () => {
    const bodies = [
      { id: 42, quantity: 2 },
      { username: 'bob', password: 'correct horse battery staple' },
      { name: "Jane O'Reilly", comment: 'Great product, order #42 & more; will buy again!' },
      { address: { street: '1 Main St.', city: 'Zürich', zip: '8001' }, notes: 'Leave at the door (back)' },
      { search: 'select a size from the drop-down', tags: ['red', 'blue'] },
    ];
    for (const b of bodies) expect(hitsOf(rest(JSON.stringify(b)))).toEqual([]);
  });
});

describe('the caller, read as the authorizer reads it', () => {
  it('REST proxy fixture: sourceIp and the authorizer principal', () => {
    // Prepare: Powertools' sample of a REST proxy event behind a Lambda authorizer
    const event = loadFixture('powertools-rest-proxy-after-lambda-authorizer');
    // Act
    const caller = callerOf(event, 0, () => T0);
    // Assess
    expect(caller).toMatchObject({ ip: '15.248.3.126', subject: 'user' });
  });

  it('HTTP API proxy fixture: sourceIp; the subject from the lambda context', () => {
    // Prepare
    const event = loadFixture('powertools-httpapi-v2-proxy-after-lambda-authorizer');
    // Act
    const anonymous = callerOf(event, 0, () => T0);
    event.requestContext.authorizer = { lambda: { sub: 'carol', riskBand: 'allow' } };
    const carol = callerOf(event, 0, () => T0);
    // Assess
    expect(anonymous).toMatchObject({ ip: '15.248.3.126', subject: undefined });
    expect(carol.subject).toBe('carol');
  });

  it("treats the engine's anonymous answer as no subject, and honours TRUSTED_PROXY_COUNT", () => {
    // Prepare
    const event = rest('{}', 'application/json', {
      authorizer: { principalId: 'anonymous', sub: '' },
      headers: { 'X-Forwarded-For': '198.51.100.99, 192.0.2.1', 'content-type': 'application/json' },
    });
    // Act / Assess
    expect(callerOf(event, 0, Date.now)).toMatchObject({ ip: '203.0.113.7', subject: undefined, timeMs: T0 });
    expect(callerOf(event, 1, Date.now).ip).toBe('192.0.2.1');
    expect(callerOf(event, 2, Date.now).ip).toBe('198.51.100.99');
  });
});

describe('counter updates', () => {
  it('anonymous: one update, on the IP item, with i and b', () => {
    // Act
    const updates = hitUpdates({ ip: '203.0.113.7', subject: undefined }, T0 / 1000);
    // Assess
    const minute = Math.floor(T0 / 60_000);
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ pk: 'ip#203.0.113.7', sk: 'counter' });
    expect(updates[0]!.add).toEqual({ [`i${minute}`]: 1, [`b${minute}`]: 1 });
  });

  it("authenticated: the subject's item gets i and b, its IP's item only i (NAT neighbours are not denied)", () => {
    // Act
    const updates = hitUpdates({ ip: '203.0.113.7', subject: 'alice' }, T0 / 1000);
    // Assess
    const minute = Math.floor(T0 / 60_000);
    expect(updates.map((u) => u.pk)).toEqual(['sub#alice', 'ip#203.0.113.7']);
    expect(updates[0]!.add).toEqual({ [`i${minute}`]: 1, [`b${minute}`]: 1 });
    expect(updates[1]!.add).toEqual({ [`i${minute}`]: 1 });
  });

  it('the b bucket is read back by the layout the authorizer uses', () => {
    // Prepare
    const [own] = hitUpdates({ ip: '203.0.113.7', subject: undefined }, T0 / 1000);
    // Act: the counts the engine's view reads from that item five seconds later
    const counts = windowCounts(own!.add, T0 / 1000 + 5, 60, 600);
    // Assess
    expect(counts.short.b).toBe(1);
    expect(counts.long.i).toBe(1);
  });
});

describe('configuration', () => {
  it('refuses unknown options and names the missing table and bad environment', () => {
    const problems = (options: unknown) => {
      try {
        resolveBodyInspectionConfig(options);
        return [];
      } catch (error) {
        expect(isBodyInspectionConfigError(error)).toBe(true);
        return (error as { problems: string[] }).problems;
      }
    };
    expect(problems({ tableName: 'gw-table', onhit: 'reject' })[0]).toMatch(
      /unknown option.*"onhit".*spelling/,
    );
    expect(problems({ env: {} })[0]).toMatch(/^GATEWARDEN_TABLE is required: set it/);
    expect(problems({ env: { GATEWARDEN_TABLE: 'gw-table', TRUSTED_PROXY_COUNT: 'two' } })[0]).toMatch(
      /^TRUSTED_PROXY_COUNT "two" is invalid: set the number of proxies/,
    );
    expect(problems({ tableName: 'gw-table', maxBodyBytes: 10 })[0]).toMatch(
      /maxBodyBytes: must be at least 1024/,
    );
    expect(problems({ tableName: 'gw-table', onHit: 'block' })[0]).toMatch(/onHit/);
    expect(problems({ env: { GATEWARDEN_TABLE: 'gw-table', TRUSTED_PROXY_COUNT: '2' } })).toEqual([]);
    expect(
      resolveBodyInspectionConfig({ env: { GATEWARDEN_TABLE: 'gw-table', TRUSTED_PROXY_COUNT: '2' } }),
    ).toMatchObject({ tableName: 'gw-table', trustedProxyCount: 2, onHit: 'record', maxBodyBytes: 65_536 });
  });

  it("writes to its Region's copy on a global table, as the authorizer reads it (GATEWARDEN_REGIONS)", () => {
    // Prepare
    const env = {
      GATEWARDEN_TABLE: 'gw-table',
      GATEWARDEN_REGIONS: 'us-east-1,eu-west-1',
      AWS_REGION: 'eu-west-1',
    };
    // Act
    const config = resolveBodyInspectionConfig({ env });
    // Assess
    expect(config.regions).toEqual({ own: 'eu-west-1', all: ['us-east-1', 'eu-west-1'] });
    expect(resolveBodyInspectionConfig({ env: { GATEWARDEN_TABLE: 'gw-table' } }).regions).toBeUndefined();
    expect(() => resolveBodyInspectionConfig({ env: { ...env, AWS_REGION: 'ap-south-1' } })).toThrow(
      /GATEWARDEN_REGIONS .* must include this Region \(ap-south-1\)/,
    );
  });
});

describe('the middleware', () => {
  function setup(extra: Record<string, unknown> = {}) {
    const store = new MemoryCounterStore();
    const logs: { level: string; message: string; extra: Record<string, unknown> }[] = [];
    const logger: BodyInspectionLogger = {
      warn: (message, e) => logs.push({ level: 'warn', message, extra: e }),
      error: (message, e) => logs.push({ level: 'error', message, extra: e }),
    };
    const metrics: string[] = [];
    const metricsSink = {
      singleMetric: () => ({
        addDimension: () => {},
        addMetric: (name: string) => metrics.push(name),
      }),
    };
    const backend = vi.fn(async () => ({ statusCode: 200, body: '{"ok":true}' }));
    const handler = middy(backend).use(
      bodyInspection({ store, logger, metrics: metricsSink as never, ...extra }),
    );
    return { store, logs, metrics, backend, handler };
  }

  it('clean body: the handler runs and nothing is written', async () => {
    // Prepare
    const { store, backend, handler, logs } = setup();
    // Act
    const out = await handler(rest('{"id":42,"quantity":2}'), lambdaContext());
    // Assess
    expect(out).toEqual({ statusCode: 200, body: '{"ok":true}' });
    expect(backend).toHaveBeenCalledOnce();
    expect(store.touchedKeys).toEqual([]);
    expect(logs).toEqual([]);
  });

  it('a probe: the handler still runs, one update per counter item, the log has family and field only', async () => {
    // Prepare
    const { store, backend, handler, logs, metrics } = setup();
    const payload = "1' UNION SELECT card_number FROM payments --";
    // Act
    const out = await handler(
      rest(JSON.stringify({ coupon: payload, note: '<svg onload=alert(1)>' })),
      lambdaContext(),
    );
    // Assess
    expect(out).toEqual({ statusCode: 200, body: '{"ok":true}' });
    expect(backend).toHaveBeenCalledOnce();
    // Two findings, one request: each item written once.
    expect(store.touchedKeys).toEqual(['sub#alice', 'ip#203.0.113.7']);
    const item = store.items.get('sub#alice|counter')!;
    expect(item[`i${Math.floor(T0 / 60_000)}`]).toBe(1);
    expect(item[`b${Math.floor(T0 / 60_000)}`]).toBe(1);
    expect(logs).toHaveLength(1);
    expect(logs[0]!.extra.fields).toEqual(['sqli@$.coupon', 'xss@$.note']);
    expect(JSON.stringify(logs)).not.toMatch(/UNION|card_number|onload/);
    expect(metrics).toEqual(['BodyProbe', 'BodyProbe']);
  });

  it("onHit 'reject': a generic 400, the handler never runs, the hit is recorded first", async () => {
    // Prepare
    const { store, backend, handler } = setup({ onHit: 'reject' });
    // Act
    const out = await handler(rest('{"q":"<script>alert(1)</script>"}'), lambdaContext());
    // Assess
    expect(out).toEqual({
      statusCode: 400,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"Bad Request"}',
    });
    expect(backend).not.toHaveBeenCalled();
    expect(store.touchedKeys).toContain('sub#alice');
  });

  it('fails open: with the store down the handler runs, and the failure is logged and counted', async () => {
    // Prepare
    const { store, backend, handler, logs, metrics } = setup();
    store.failing = true;
    // Act
    const out = await handler(rest('{"q":"<script>alert(1)</script>"}'), lambdaContext());
    // Assess
    expect(out).toEqual({ statusCode: 200, body: '{"ok":true}' });
    expect(backend).toHaveBeenCalledOnce();
    expect(logs.map((l) => l.level)).toEqual(['warn', 'error']);
    expect(metrics).toContain('BodyInspectionStoreFailure');
  });

  it("a handler's error still waits for the write and propagates unchanged", async () => {
    // Prepare
    const store = new MemoryCounterStore();
    const boom = new Error('backend failed');
    const handler = middy(async () => {
      throw boom;
    }).use(bodyInspection({ store, logger: { warn: () => {}, error: () => {} } }));
    // Act / Assess
    await expect(handler(rest('{"q":"<script>alert(1)</script>"}'), lambdaContext())).rejects.toBe(boom);
    expect(store.touchedKeys).toContain('sub#alice');
  });

  it('survives hostile events without throwing', async () => {
    // Prepare
    const { handler, backend } = setup();
    const events: unknown[] = [
      null,
      'body',
      { body: 42 },
      { body: '{"a":', isBase64Encoded: true },
      { body: '['.repeat(100_000), headers: { 'content-type': 'application/json' } },
      { body: '{"a":1}', headers: null, requestContext: { authorizer: { lambda: 'x' } } },
      { version: '2.0', body: 'a=%ZZ&&=', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    ];
    // Act
    for (const e of events) await handler(e as never, lambdaContext());
    // Assess
    expect(backend).toHaveBeenCalledTimes(events.length);
  });
});
