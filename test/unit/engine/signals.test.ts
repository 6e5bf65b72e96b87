import { describe, expect, it } from 'vitest';
import { automationFingerprint } from '../../../lambdas/engine/detectors/automation';
import { findInjections, findInjectionsIn } from '../../../lambdas/engine/detectors/malicious-input';
import {
  authzProbing,
  automation,
  bandFor,
  type CounterView,
  cadence,
  combineScore,
  enumeration,
  errorRate,
  headRatio,
  honeypot,
  invalidAuth,
  journey,
  maliciousInput,
  oneShot,
  type RequestFeatures,
  ramp,
  surge,
  tokenSharing,
  volumeIp,
  volumeSubject,
} from '../../../lambdas/engine/signals';
import { DEFAULT_ROUTE_SETTINGS as S } from '../../../lambdas/policy/defaults';

const view = (over: Partial<CounterView> = {}): CounterView => ({
  authenticated: true,
  ipShort: 0,
  ipLong: 0,
  prefixShort: 0,
  prefixLong: 0,
  subjectShort: 0,
  subjectLong: 0,
  tokenShort: 0,
  clientShort: 0,
  ipFailures: 0,
  prefixFailures: 0,
  subjectAuthzFailures: 0,
  ipAuthzFailures: 0,
  distinctIpsForIdentity: 1,
  distinctSubjectsOnIp: 1,
  oneShotTokensOnPrefix: 0,
  identityRequests: 0,
  identityHeads: 0,
  identityErrors: 0,
  identityInjections: 0,
  recentBodyHits: 0,
  distinctIds: 0,
  idDensity: undefined,
  cadenceVariation: undefined,
  cadenceSamples: 0,
  underAttack: false,
  knownClient: true,
  ...over,
});
const features = (over: Partial<RequestFeatures> = {}): RequestFeatures => ({
  method: 'GET',
  injections: [],
  automation: undefined,
  journeyViolations: [],
  volumeMultiplier: 1,
  ignoreSignals: new Set(),
  ...over,
});

describe('ramp', () => {
  it('is silent below half the threshold, reaches the weight at it and 100 at four times it', () => {
    expect(ramp(49, 100, 75)).toBe(0);
    expect(ramp(100, 100, 75)).toBe(75);
    expect(ramp(400, 100, 75)).toBe(100);
    expect(ramp(1e9, 100, 75)).toBe(100);
  });
});

describe('volume signals', () => {
  it('flag a subject at machine speed, not a busy human', () => {
    expect(volumeSubject(view({ subjectShort: 40 }), features(), S)).toBeUndefined();
    expect(volumeSubject(view({ subjectShort: 500 }), features(), S)?.contribution).toBeGreaterThan(90);
  });

  it('give a shared IP room for each well-behaved subject behind it (NAT fairness)', () => {
    const flood = view({ ipShort: 600, distinctSubjectsOnIp: 1 });
    const office = view({ ipShort: 600, distinctSubjectsOnIp: 150 });
    expect(volumeIp(flood, features(), S)?.contribution).toBeGreaterThanOrEqual(90);
    expect(volumeIp(office, features(), S)).toBeUndefined();
  });

  it('scale with the client class multiplier', () => {
    expect(volumeSubject(view({ subjectShort: 300 }), features({ volumeMultiplier: 10 }), S)).toBeUndefined();
  });
});

describe('identity signals', () => {
  it('token sharing: many IPs on one token fires; a phone switching networks does not', () => {
    expect(tokenSharing(view({ distinctIpsForIdentity: 40 }), features(), S)?.scope).toBe('token');
    expect(tokenSharing(view({ distinctIpsForIdentity: 2 }), features(), S)).toBeUndefined();
  });

  it('invalid auth: a forgery flood fires per IP; a mistyped password or two does not', () => {
    expect(invalidAuth(view({ ipFailures: 50 }), features(), S)?.contribution).toBe(100);
    expect(invalidAuth(view({ ipFailures: 2 }), features(), S)).toBeUndefined();
    expect(invalidAuth(view({ prefixFailures: 200 }), features(), S)?.scope).toBe('prefix');
  });

  it('authz-probing: refusals per subject deny at the threshold; per IP they name the IP', () => {
    // Act & Assess (defaults: 10 per subject, 20 per IP, weight 80)
    expect(
      authzProbing(view({ authenticated: true, subjectAuthzFailures: 10 }), features(), S),
    ).toMatchObject({
      contribution: 80,
      scope: 'subject',
    });
    expect(
      authzProbing(view({ authenticated: true, subjectAuthzFailures: 4 }), features(), S),
    ).toBeUndefined();
    expect(authzProbing(view({ authenticated: true, ipAuthzFailures: 80 }), features(), S)).toMatchObject({
      contribution: 100,
      scope: 'ip',
    });
  });

  it('one-shot tokens per prefix', () => {
    expect(oneShot(view({ oneShotTokensOnPrefix: 40 }), features(), S)?.contribution).toBeGreaterThan(75);
    expect(oneShot(view({ oneShotTokensOnPrefix: 3 }), features(), S)).toBeUndefined();
  });

  it('HEAD ratio needs enough requests and a share far above baseline', () => {
    expect(headRatio(view({ identityRequests: 40, identityHeads: 38 }), features(), S)).toBeDefined();
    expect(headRatio(view({ identityRequests: 40, identityHeads: 4 }), features(), S)).toBeUndefined();
    expect(headRatio(view({ identityRequests: 5, identityHeads: 5 }), features(), S)).toBeUndefined();
  });

  it('error rate from feedback, judged only on enough requests', () => {
    expect(errorRate(view({ identityRequests: 50, identityErrors: 45 }), features(), S)).toBeDefined();
    expect(errorRate(view({ identityRequests: 50, identityErrors: 3 }), features(), S)).toBeUndefined();
    expect(errorRate(view({ identityRequests: 3, identityErrors: 3 }), features(), S)).toBeUndefined();
  });

  it('enumeration: a dense sweep fires early, scattered browsing does not', () => {
    expect(enumeration(view({ distinctIds: 40, idDensity: 1 }), features(), S)?.contribution).toBeGreaterThan(
      70,
    );
    expect(enumeration(view({ distinctIds: 40, idDensity: 0.01 }), features(), S)).toBeUndefined();
    expect(enumeration(view({ distinctIds: 8, idDensity: 1 }), features(), S)).toBeUndefined();
  });

  it('cadence: metronome timing over many requests fires; human jitter does not', () => {
    expect(cadence(view({ cadenceVariation: 0.01, cadenceSamples: 40 }), features(), S)).toBeDefined();
    expect(cadence(view({ cadenceVariation: 0.8, cadenceSamples: 40 }), features(), S)).toBeUndefined();
    expect(cadence(view({ cadenceVariation: 0.01, cadenceSamples: 5 }), features(), S)).toBeUndefined();
  });

  it('surge holds only clients unknown before it', () => {
    expect(surge(view({ underAttack: true, knownClient: false }), features(), S)?.contribution).toBe(75);
    expect(surge(view({ underAttack: true, knownClient: true }), features(), S)).toBeUndefined();
    expect(surge(view({ underAttack: false, knownClient: false }), features(), S)).toBeUndefined();
  });

  it('honeypot and journey fire on their route settings and features', () => {
    expect(honeypot(view(), features(), { ...S, honeypot: true })?.contribution).toBe(100);
    expect(honeypot(view(), features(), S)).toBeUndefined();
    expect(
      journey(view(), features({ journeyViolations: ['GET /cart before POST /checkout'] }), S),
    ).toBeDefined();
  });

  it('automation is judged only on browser-facing routes', () => {
    const f = features({ automation: { strength: 1, reason: 'tool user agent: curl' } });
    expect(automation(view(), f, S)).toBeUndefined();
    expect(automation(view(), f, { ...S, browserFacing: true })?.contribution).toBe(70);
  });

  it('malicious input denies at once and escalates on repeats', () => {
    const f = features({ injections: ['sqli'] });
    expect(maliciousInput(view({ identityInjections: 1 }), f, S)?.contribution).toBe(80);
    expect(maliciousInput(view({ identityInjections: 4 }), f, S)?.contribution).toBe(100);
  });

  it('a body probe a backend reported denies the next clean request, and only within the short window', () => {
    // Prepare: the body middleware wrote `b` (and `i`) on the client's item; this request itself is clean
    const clean = features();
    // Act
    const reported = maliciousInput(view({ identityInjections: 1, recentBodyHits: 1 }), clean, S);
    const afterWindow = maliciousInput(view({ identityInjections: 1, recentBodyHits: 0 }), clean, S);
    const repeated = maliciousInput(view({ identityInjections: 3, recentBodyHits: 1 }), clean, S);
    // Assess
    expect(reported?.contribution).toBe(80);
    expect(reported?.reason).toMatch(/request body/);
    // An old URL or body probe alone no longer denies a clean request (a person's one false positive passes).
    expect(afterWindow).toBeUndefined();
    expect(repeated?.contribution).toBeGreaterThanOrEqual(S.bands.block);
  });
});

describe('detectors', () => {
  it('find injection syntax, including encoded forms', () => {
    expect(findInjections(["/items?q=' OR 1=1 --"])).toContain('sqli');
    expect(findInjections(['1 UNION SELECT password FROM users'])).toContain('sqli');
    expect(findInjections(['%3Cscript%3Ealert(1)%3C%2Fscript%3E'])).toContain('xss');
    expect(findInjections(['../../etc/passwd'])).toContain('traversal');
    expect(findInjections(['%252e%252e%252fetc'])).toContain('traversal');
    expect(findInjections(['${jndi:ldap://x/a}'])).toContain('jndi');
    expect(findInjections(['; cat /etc/shadow'])).toContain('command');
  });

  it('stay quiet on ordinary text (false positives)', () => {
    const ordinary = [
      '/products/42',
      'select a plan from the list',
      'Union Square, New York',
      "O'Reilly and sons",
      'rock & roll | jazz',
      'price <= 20 and size > 3',
      '/docs/getting-started/../intro',
      'email=jane.doe@example.com&sort=desc',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      'search=what is 1=1 in maths',
      'comment=I love this! <3',
      'title=Drop table tennis lessons',
    ];
    const hits = ordinary.filter((t) => findInjections([t]).length > 0);
    // Judged as a parameter value, one `../` inside a relative link is not traversal; as the request path it is.
    expect(hits).toEqual([]);
    expect(findInjectionsIn([{ kind: 'path', name: '', value: '/docs/getting-started/../intro' }])).toEqual([
      'traversal',
    ]);
  });

  it('recognise tool user agents and header sets browsers never send', () => {
    expect(automationFingerprint({ 'user-agent': 'curl/8.5.0' })?.strength).toBe(1);
    expect(automationFingerprint({ 'user-agent': 'python-requests/2.31' })?.strength).toBe(1);
    expect(automationFingerprint({})?.reason).toBe('no user agent');
    expect(automationFingerprint({ 'user-agent': 'Mozilla/5.0 (X11)' })?.strength).toBe(1);
    expect(
      automationFingerprint({
        'user-agent': 'Mozilla/5.0 (X11)',
        accept: 'text/html',
        'accept-language': 'en',
      }),
    ).toBeUndefined();
  });
});

describe('scoring', () => {
  it('combines independent evidence and bands it', () => {
    const a = {
      name: 'cadence',
      contribution: 50,
      observed: 0,
      threshold: 0,
      reason: '',
      scope: 'ip',
    } as const;
    const b = { ...a, name: 'automation' } as const;
    expect(combineScore([a])).toBe(50);
    expect(combineScore([a, b])).toBe(75);
    expect(bandFor(75, S.bands)).toBe('deny');
    expect(bandFor(39, S.bands)).toBe('allow');
    expect(bandFor(40, S.bands)).toBe('flag');
    expect(bandFor(95, S.bands)).toBe('block');
  });
});
