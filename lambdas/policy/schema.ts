import * as z from '../shared/schema';

/**
 * The Gatewarden policy file (path in GATEWARDEN_POLICY). Every field is optional: omitted fields take the built-in
 * defaults in `defaults.ts`. Unknown keys are rejected so a typo never silently does nothing.
 */

const positive = z.number().check(z.positive());
const fraction = z.number().check(z.minimum(0), z.maximum(1));
const percent = z.number().check(z.minimum(0), z.maximum(100));
const nonEmpty = z.string().check(z.minLength(1));

/** Names of the signals the engine computes; weights and thresholds are keyed by these. */
export const SIGNAL_NAMES = [
  'volume-ip',
  'volume-prefix',
  'volume-subject',
  'volume-token',
  'volume-client',
  'token-sharing',
  'invalid-auth',
  'one-shot',
  'head-ratio',
  'error-rate',
  'surge',
  'malicious-input',
  'automation',
  'enumeration',
  'journey',
  'honeypot',
  'cadence',
  'authz-probing',
] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

const signalName = z.enum(SIGNAL_NAMES);

/** Thresholds: where each signal reaches full strength. Counts are per sliding window. */
export const thresholdsSchema = z.partial(
  z.strictObject({
    /** Requests per IP in the short / long window (anonymous traffic; authenticated traffic scales with the number of distinct well-behaved subjects behind the IP). */
    ipPerShort: positive,
    ipPerLong: positive,
    prefixPerShort: positive,
    prefixPerLong: positive,
    subjectPerShort: positive,
    subjectPerLong: positive,
    tokenPerShort: positive,
    clientPerShort: positive,
    /** Distinct IPs per subject (or token) in the long window. */
    distinctIpsPerSubject: positive,
    /** Failed authentications (invalid or missing tokens, primitive auth) per IP in the long window. */
    invalidAuthPerIp: positive,
    invalidAuthPerPrefix: positive,
    /** Distinct tokens seen once from one prefix in the long window. */
    oneShotTokensPerPrefix: positive,
    /** Share of HEAD requests above which the ratio is suspicious, and the minimum requests to judge. */
    headRatio: fraction,
    headMinRequests: positive,
    /** Error share (401/403/404/422 answered by the backend) and the minimum requests to judge. */
    errorRate: fraction,
    errorMinRequests: positive,
    /** Distinct numeric ids per subject in the long window, and the density (distinct / span) that marks a sweep. */
    enumerationDistinctIds: positive,
    enumerationDensity: fraction,
    /** Surge: request rate over the moving baseline, and the minimum rate (per minute) before a surge can engage. */
    surgeFactor: positive,
    surgeMinPerMinute: positive,
    /** Regular timing: coefficient of variation of inter-arrival times below which timing looks scripted. */
    cadenceMaxVariation: fraction,
    cadenceMinRequests: positive,
    /** Distinct well-behaved subjects behind one IP from which it is treated as shared (office, carrier NAT). */
    sharedIpSubjects: positive,
    /** Authorization failures (`require` refused a valid token: 403) per subject in the long window: probing for functions and objects. */
    authzFailuresPerSubject: positive,
    /** Authorization failures per IP in the long window, whichever subjects they came from. */
    authzFailuresPerIp: positive,
  }),
);
export type Thresholds = z.infer<typeof thresholdsSchema>;

export const bandsSchema = z.partial(
  z.strictObject({
    flag: percent,
    deny: percent,
    block: percent,
  }),
);

export const blockSchema = z.partial(
  z.strictObject({
    /** First block duration. */
    durationSeconds: positive,
    /** Each repeat offence multiplies the duration by this factor… */
    escalationFactor: z.number().check(z.minimum(1)),
    /** …up to this cap. */
    maxDurationSeconds: positive,
    /** How long offences are remembered for escalation. */
    memorySeconds: positive,
  }),
);

/** Per-route settings: everything a route can override. */
export const routeSettingsSchema = z.strictObject({
  /** `public` routes accept anonymous callers (scored by IP); `protected` routes require a valid token. */
  access: z.optional(z.enum(['public', 'protected'])),
  /** What to do when the counter store fails or times out. Authentication is never skipped. */
  failMode: z.optional(z.enum(['open', 'closed'])),
  /** Browser-facing routes judge automation fingerprints (tool user agents, header sets no browser sends). */
  browserFacing: z.optional(z.boolean()),
  /** One request to a honeypot route blocks the caller. */
  honeypot: z.optional(z.boolean()),
  /** Skip risk scoring on this route (authentication still applies). */
  scoring: z.optional(z.boolean()),
  weights: z.optional(z.partialRecord(signalName, percent)),
  thresholds: z.optional(thresholdsSchema),
  bands: z.optional(bandsSchema),
  block: z.optional(blockSchema),
});

const scopeList = z.array(nonEmpty).check(z.minLength(1));

/**
 * What a valid token must carry to call the route (403 `insufficient-scope` / `not-in-group` / `not-owner`
 * otherwise, in shadow mode too). Every listed requirement must hold.
 */
export const requireSchema = z.strictObject({
  /** Any one of these scopes, as API Gateway's per-route `authorizationScopes`. */
  scopes: z.optional(scopeList),
  /** Every one of these scopes. */
  allScopes: z.optional(scopeList),
  /** Any one of these groups or roles (`JWT_GROUPS_CLAIM`). */
  groups: z.optional(scopeList),
  /** Object level: the path parameter `param` of the route must equal the token's claim `claim` (e.g. `sub`). */
  owner: z.optional(z.strictObject({ param: nonEmpty, claim: nonEmpty })),
});
export type RequireInput = z.infer<typeof requireSchema>;

export const routeSchema = z.extend(routeSettingsSchema, {
  /** Route template: `METHOD /path/{param}`; METHOD may be `ANY` or `*`; a path segment `*` matches one segment; a trailing `/*` or `{proxy+}` matches the rest. HTTP API `$default` is matched literally. */
  match: nonEmpty,
  require: z.optional(requireSchema),
});

export const journeySchema = z.strictObject({
  /** The guarded route template… */
  route: nonEmpty,
  /** …may only be called by a subject who called this one… */
  after: nonEmpty,
  /** …within this many seconds. */
  withinSeconds: positive,
});

export const clientClassSchema = z.strictObject({
  name: nonEmpty,
  /** OAuth client ids (`client_id`/`azp`) of this class. */
  clientIds: z.optional(z.array(nonEmpty)),
  /** mTLS certificate subject DNs of this class. */
  certificateSubjects: z.optional(z.array(nonEmpty)),
  /** Multiplies the volume thresholds (machine clients legitimately call more often). */
  volumeMultiplier: z.optional(positive),
  /** Signals that do not apply to this class (e.g. `automation`, `cadence` for IoT). */
  ignoreSignals: z.optional(z.array(signalName)),
});

export const policySchema = z.strictObject({
  $schema: z.optional(z.string()),
  /** `enforce` answers with the decision; `shadow` allows everything the engine would deny and reports it. */
  mode: z.optional(z.enum(['enforce', 'shadow'])),
  windows: z.optional(
    z.partial(
      z.strictObject({
        shortSeconds: z.number().check(z.int(), z.minimum(10), z.maximum(3600)),
        longSeconds: z.number().check(z.int(), z.minimum(60), z.maximum(86400)),
      }),
    ),
  ),
  /** Header naming a device or session (counted as its own scope when present). */
  deviceHeader: z.optional(nonEmpty),
  /** Headers scanned for malicious-input patterns besides path and query. */
  inspectHeaders: z.optional(z.array(nonEmpty)),
  defaults: z.optional(routeSettingsSchema),
  routes: z.optional(z.array(routeSchema)),
  journeys: z.optional(z.array(journeySchema)),
  allowlist: z.optional(
    z.strictObject({
      cidrs: z.optional(z.array(nonEmpty)),
      subjects: z.optional(z.array(nonEmpty)),
      clientIds: z.optional(z.array(nonEmpty)),
    }),
  ),
  clientClasses: z.optional(z.array(clientClassSchema)),
});

export type PolicyFile = z.infer<typeof policySchema>;
export type RouteSettingsInput = z.infer<typeof routeSettingsSchema>;
