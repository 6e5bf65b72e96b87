import type { ResolvedRouteSettings } from '../policy/defaults';
import type { SignalName } from '../policy/schema';
import type { BlockScope } from '../store/table-schema';

/**
 * The bot signals. Each is a pure function of a counter view (what the shared store and this container have
 * counted, already windowed) and request features, returning its contribution to the score with the observed value
 * and threshold that explain it. Thresholds and weights come from the route's policy settings.
 */

/** What the signals read; built by `view.ts` from store items and local counters. */
export interface CounterView {
  readonly authenticated: boolean;
  readonly ipShort: number;
  readonly ipLong: number;
  readonly prefixShort: number;
  readonly prefixLong: number;
  readonly subjectShort: number;
  readonly subjectLong: number;
  readonly tokenShort: number;
  readonly clientShort: number;
  /** Failed authentications in the long window. */
  readonly ipFailures: number;
  readonly prefixFailures: number;
  /** Authorization failures (valid tokens refused by a route's `require`) in the long window. */
  readonly subjectAuthzFailures: number;
  readonly ipAuthzFailures: number;
  /** Distinct IPs using this subject / token in the long window. */
  readonly distinctIpsForIdentity: number;
  /** Distinct well-behaved subjects seen behind this IP (shared-IP fairness). */
  readonly distinctSubjectsOnIp: number;
  /** Distinct tokens from this prefix seen exactly once, and requests carrying them. */
  readonly oneShotTokensOnPrefix: number;
  /** Requests, HEAD requests, error answers and malicious-input hits by this identity in the long window. */
  readonly identityRequests: number;
  readonly identityHeads: number;
  readonly identityErrors: number;
  readonly identityInjections: number;
  /**
   * Malicious-input hits a backend found in this identity's request bodies in the short window (the body middleware,
   * `lambdas/middleware/body-inspection`): the authorizer never saw those requests, so the next ones answer for them.
   */
  readonly recentBodyHits: number;
  /** Distinct numeric ids requested by this identity in the long window and their density (undefined: unknown). */
  readonly distinctIds: number;
  readonly idDensity: number | undefined;
  /** Coefficient of variation of this identity's inter-arrival times, and how many intervals it is based on. */
  readonly cadenceVariation: number | undefined;
  readonly cadenceSamples: number;
  /** Distributed surge in progress, and whether this client was known before it. */
  readonly underAttack: boolean;
  readonly knownClient: boolean;
}

export interface RequestFeatures {
  readonly method: string;
  readonly injections: readonly string[];
  readonly automation:
    | { readonly strength: number; readonly reason: string; readonly scanner?: boolean }
    | undefined;
  /** Journey rules this request breaks (guarded route without its prerequisite). */
  readonly journeyViolations: readonly string[];
  /** Volume thresholds multiplier of the client's class (machine clients call more often). */
  readonly volumeMultiplier: number;
  readonly ignoreSignals: ReadonlySet<SignalName>;
}

export interface SignalResult {
  readonly name: SignalName;
  /** Score contribution 0..100. */
  readonly contribution: number;
  readonly observed: number;
  readonly threshold: number;
  readonly reason: string;
  /** The scope a block for this signal should take. */
  readonly scope: BlockScope;
  /** True for rate signals: a deny for them carries Retry-After. */
  readonly rate?: boolean;
}

/**
 * Contribution of an observed value against its threshold: nothing below half the threshold, rising to the
 * signal's weight at the threshold, then towards 100 at four times the threshold. Monotone in `observed`.
 */
export function ramp(observed: number, threshold: number, weight: number): number {
  if (!(threshold > 0) || !(observed > 0) || weight <= 0) return 0;
  const x = observed / threshold;
  if (x < 0.5) return 0;
  if (x < 1) return weight * ((x - 0.5) / 0.5);
  return weight + (100 - weight) * Math.min(1, (x - 1) / 3);
}

type SignalFn = (v: CounterView, f: RequestFeatures, s: ResolvedRouteSettings) => SignalResult | undefined;

function result(
  name: SignalName,
  s: ResolvedRouteSettings,
  observed: number,
  threshold: number,
  reason: string,
  scope: BlockScope,
  rate = false,
): SignalResult | undefined {
  const contribution = ramp(observed, threshold, s.weights[name]);
  if (contribution <= 0) return undefined;
  return {
    name,
    contribution,
    observed: Math.round(observed * 100) / 100,
    threshold: Math.round(threshold * 100) / 100,
    reason,
    scope,
    ...(rate ? { rate } : {}),
  };
}

/** Requests per IP. An IP carrying many well-behaved subjects (office or carrier NAT) gets room for each of them. */
export const volumeIp: SignalFn = (v, f, s) => {
  const t = s.thresholds;
  const sharers = Math.max(1, v.distinctSubjectsOnIp);
  const short = t.ipPerShort * f.volumeMultiplier * sharers;
  const long = t.ipPerLong * f.volumeMultiplier * sharers;
  const ratioShort = v.ipShort / short;
  const ratioLong = v.ipLong / long;
  return ratioShort >= ratioLong
    ? result('volume-ip', s, v.ipShort, short, 'requests per IP (short window)', 'ip', true)
    : result('volume-ip', s, v.ipLong, long, 'requests per IP (long window)', 'ip', true);
};

export const volumePrefix: SignalFn = (v, f, s) => {
  const t = s.thresholds;
  const sharers = Math.max(1, v.distinctSubjectsOnIp);
  const short = t.prefixPerShort * f.volumeMultiplier * sharers;
  const long = t.prefixPerLong * f.volumeMultiplier * sharers;
  return v.prefixShort / short >= v.prefixLong / long
    ? result(
        'volume-prefix',
        s,
        v.prefixShort,
        short,
        'requests per network prefix (short window)',
        'prefix',
        true,
      )
    : result(
        'volume-prefix',
        s,
        v.prefixLong,
        long,
        'requests per network prefix (long window)',
        'prefix',
        true,
      );
};

export const volumeSubject: SignalFn = (v, f, s) => {
  if (!v.authenticated) return undefined;
  const t = s.thresholds;
  const short = t.subjectPerShort * f.volumeMultiplier;
  const long = t.subjectPerLong * f.volumeMultiplier;
  return v.subjectShort / short >= v.subjectLong / long
    ? result(
        'volume-subject',
        s,
        v.subjectShort,
        short,
        'requests per subject (short window)',
        'subject',
        true,
      )
    : result('volume-subject', s, v.subjectLong, long, 'requests per subject (long window)', 'subject', true);
};

export const volumeToken: SignalFn = (v, f, s) =>
  v.authenticated
    ? result(
        'volume-token',
        s,
        v.tokenShort,
        s.thresholds.tokenPerShort * f.volumeMultiplier,
        'requests per token',
        'token',
        true,
      )
    : undefined;

export const volumeClient: SignalFn = (v, f, s) =>
  v.authenticated
    ? result(
        'volume-client',
        s,
        v.clientShort,
        s.thresholds.clientPerShort * f.volumeMultiplier,
        'requests per client id',
        'subject',
        true,
      )
    : undefined;

/** One token or subject used from many IPs: token sharing or a hijacked session. */
export const tokenSharing: SignalFn = (v, _f, s) =>
  v.authenticated
    ? result(
        'token-sharing',
        s,
        v.distinctIpsForIdentity,
        s.thresholds.distinctIpsPerSubject,
        'distinct IPs per token',
        'token',
      )
    : undefined;

/** Failed authentications from an IP or its prefix: stuffing, cracking, token forgery. */
export const invalidAuth: SignalFn = (v, _f, s) => {
  const t = s.thresholds;
  const ip = result(
    'invalid-auth',
    s,
    v.ipFailures,
    t.invalidAuthPerIp,
    'failed authentications per IP',
    'ip',
  );
  const prefix = result(
    'invalid-auth',
    s,
    v.prefixFailures,
    t.invalidAuthPerPrefix,
    'failed authentications per prefix',
    'prefix',
  );
  if (!ip) return prefix;
  if (!prefix) return ip;
  return ip.contribution >= prefix.contribution ? ip : prefix;
};

/** Many tokens each seen once from one prefix: the single-request symptom of rotating identities. */
export const oneShot: SignalFn = (v, _f, s) =>
  result(
    'one-shot',
    s,
    v.oneShotTokensOnPrefix,
    s.thresholds.oneShotTokensPerPrefix,
    'one-shot tokens per prefix',
    'prefix',
  );

/** A HEAD share far above the route's baseline: probing for existence without fetching. */
export const headRatio: SignalFn = (v, _f, s) => {
  const t = s.thresholds;
  if (v.identityRequests < t.headMinRequests) return undefined;
  const share = v.identityHeads / v.identityRequests;
  return result(
    'head-ratio',
    s,
    share,
    t.headRatio,
    'share of HEAD requests',
    v.authenticated ? 'subject' : 'ip',
  );
};

/** Error answers (401/403/404/422) from the backend, fed back from access logs. */
export const errorRate: SignalFn = (v, _f, s) => {
  const t = s.thresholds;
  if (v.identityRequests < t.errorMinRequests) return undefined;
  const share = Math.min(1, v.identityErrors / v.identityRequests);
  return result(
    'error-rate',
    s,
    share,
    t.errorRate,
    'share of error answers',
    v.authenticated ? 'subject' : 'ip',
  );
};

/** During a distributed surge, clients not seen before it are held to the surge rule. */
export const surge: SignalFn = (v, _f, s) =>
  v.underAttack && !v.knownClient
    ? {
        name: 'surge',
        contribution: s.weights.surge,
        observed: 1,
        threshold: 1,
        reason: 'new client during a distributed surge',
        scope: v.authenticated ? 'subject' : 'ip',
        rate: true,
      }
    : undefined;

/**
 * Injection syntax in the path, query or inspected headers, or reported by a backend from a request body in the
 * short window; repeated probes (either kind, counted together in the long window) escalate to a block.
 */
export const maliciousInput: SignalFn = (v, f, s) => {
  const inRequest = f.injections.length > 0;
  if (!inRequest && !(v.recentBodyHits > 0)) return undefined;
  const w = s.weights['malicious-input'];
  if (w <= 0) return undefined;
  // One probe reaches the weight; each repeat within the window adds a third of the remaining way to 100.
  const repeats = Math.max(0, v.identityInjections - 1);
  const contribution = w + (100 - w) * Math.min(1, repeats / 3);
  return {
    name: 'malicious-input',
    contribution,
    observed: Math.max(1, v.identityInjections),
    threshold: 1,
    reason: inRequest
      ? `malicious input: ${f.injections.join(', ')}`
      : 'malicious input in a request body (reported by the backend)',
    scope: v.authenticated ? 'subject' : 'ip',
  };
};

export const automation: SignalFn = (v, f, s) => {
  // A scanner's own user agent counts on every route; other automation only on browser-facing ones.
  if (!f.automation || (!s.browserFacing && !f.automation.scanner)) return undefined;
  const w = s.weights.automation;
  if (w <= 0) return undefined;
  return {
    name: 'automation',
    contribution: w * f.automation.strength,
    observed: f.automation.strength,
    threshold: 1,
    reason: f.automation.reason,
    scope: v.authenticated ? 'subject' : 'ip',
  };
};

/**
 * Sweeping numeric ids: many distinct ids on a route, densely packed (sequential or nearly so). Scattered ids are
 * not judged here: people browsing a catalogue touch many unrelated ids, and random-id scraping shows up in volume.
 */
export const enumeration: SignalFn = (v, _f, s) => {
  const t = s.thresholds;
  if (v.idDensity === undefined || v.idDensity < t.enumerationDensity) return undefined;
  return result(
    'enumeration',
    s,
    v.distinctIds,
    t.enumerationDistinctIds,
    'dense sweep of numeric ids',
    v.authenticated ? 'subject' : 'ip',
  );
};

export const journey: SignalFn = (v, f, s) =>
  f.journeyViolations.length > 0 && s.weights.journey > 0
    ? {
        name: 'journey',
        contribution: s.weights.journey,
        observed: 0,
        threshold: 1,
        reason: `skipped the required step: ${f.journeyViolations.join(', ')}`,
        scope: v.authenticated ? 'subject' : 'ip',
      }
    : undefined;

export const honeypot: SignalFn = (v, _f, s) =>
  s.honeypot && s.weights.honeypot > 0
    ? {
        name: 'honeypot',
        contribution: s.weights.honeypot,
        observed: 1,
        threshold: 1,
        reason: 'request to a honeypot route',
        scope: v.authenticated ? 'subject' : 'ip',
      }
    : undefined;

/** Machine-regular timing: inter-arrival times with almost no variation, sustained. */
export const cadence: SignalFn = (v, _f, s) => {
  const t = s.thresholds;
  if (v.cadenceVariation === undefined || v.cadenceSamples < t.cadenceMinRequests) return undefined;
  if (v.cadenceVariation > t.cadenceMaxVariation) return undefined;
  const w = s.weights.cadence;
  if (w <= 0) return undefined;
  // More sustained regularity is more evidence: full weight at the minimum, rising with samples.
  const contribution = Math.min(
    100,
    w * (1 + Math.min(1, (v.cadenceSamples - t.cadenceMinRequests) / (4 * t.cadenceMinRequests)) * 0.5),
  );
  return {
    name: 'cadence',
    contribution,
    observed: Math.round(v.cadenceVariation * 1000) / 1000,
    threshold: t.cadenceMaxVariation,
    reason: 'machine-regular request timing',
    scope: v.authenticated ? 'subject' : 'ip',
  };
};

/**
 * Repeated authorization failures (403 from a route's `require`): one identity, or one IP, trying functions (API5)
 * or objects (API1) it may not use. Counted like `invalid-auth`: on the failure path, scored on every request.
 */
export const authzProbing: SignalFn = (v, _f, s) => {
  const t = s.thresholds;
  const subject = v.authenticated
    ? result(
        'authz-probing',
        s,
        v.subjectAuthzFailures,
        t.authzFailuresPerSubject,
        'authorization failures per subject',
        'subject',
      )
    : undefined;
  const ip = result(
    'authz-probing',
    s,
    v.ipAuthzFailures,
    t.authzFailuresPerIp,
    'authorization failures per IP',
    'ip',
  );
  if (!ip) return subject;
  if (!subject) return ip;
  return subject.contribution >= ip.contribution ? subject : ip;
};

export const ALL_SIGNALS: readonly SignalFn[] = [
  volumeIp,
  volumePrefix,
  volumeSubject,
  volumeToken,
  volumeClient,
  tokenSharing,
  invalidAuth,
  oneShot,
  headRatio,
  errorRate,
  surge,
  maliciousInput,
  automation,
  enumeration,
  journey,
  honeypot,
  cadence,
  authzProbing,
];

/** Runs every signal; drops those the client's class ignores. */
export function evaluateSignals(
  v: CounterView,
  f: RequestFeatures,
  s: ResolvedRouteSettings,
): SignalResult[] {
  const out: SignalResult[] = [];
  for (const fn of ALL_SIGNALS) {
    const r = fn(v, f, s);
    if (r && r.contribution > 0 && !f.ignoreSignals.has(r.name)) out.push(r);
  }
  return out;
}

/**
 * Combines contributions as a noisy-OR: score = 100 × (1 − Π(1 − cᵢ/100)). Independent evidence adds up, any
 * single signal at 100 gives 100, and more evidence never lowers the score.
 */
export function combineScore(results: readonly SignalResult[]): number {
  let keep = 1;
  for (const r of results) keep *= 1 - Math.min(100, Math.max(0, r.contribution)) / 100;
  return Math.min(100, Math.max(0, Math.round(100 * (1 - keep))));
}

export type Band = 'allow' | 'flag' | 'deny' | 'block';

export function bandFor(score: number, bands: ResolvedRouteSettings['bands']): Band {
  if (score >= bands.block) return 'block';
  if (score >= bands.deny) return 'deny';
  if (score >= bands.flag) return 'flag';
  return 'allow';
}
