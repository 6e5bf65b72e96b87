import { z } from 'zod';

/**
 * The Gatewarden policy file (JSON or YAML, path in GATEWARDEN_POLICY). Every field is optional: omitted fields
 * take the built-in defaults in `defaults.ts`. Unknown keys are rejected so a typo never silently does nothing.
 */

const positive = z.number().positive();
const fraction = z.number().min(0).max(1);

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
] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

const signalName = z.enum(SIGNAL_NAMES);

/** Thresholds: where each signal reaches full strength. Counts are per sliding window. */
export const thresholdsSchema = z
  .strictObject({
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
  })
  .partial();
export type Thresholds = z.infer<typeof thresholdsSchema>;

export const bandsSchema = z
  .strictObject({
    flag: z.number().min(0).max(100),
    deny: z.number().min(0).max(100),
    block: z.number().min(0).max(100),
  })
  .partial();

export const blockSchema = z
  .strictObject({
    /** First block duration. */
    durationSeconds: positive,
    /** Each repeat offence multiplies the duration by this factor… */
    escalationFactor: z.number().min(1),
    /** …up to this cap. */
    maxDurationSeconds: positive,
    /** How long offences are remembered for escalation. */
    memorySeconds: positive,
  })
  .partial();

/** Per-route settings: everything a route can override. */
export const routeSettingsSchema = z.strictObject({
  /** `public` routes accept anonymous callers (scored by IP); `protected` routes require a valid token. */
  access: z.enum(['public', 'protected']).optional(),
  /** What to do when the counter store fails or times out. Authentication is never skipped. */
  failMode: z.enum(['open', 'closed']).optional(),
  /** Browser-facing routes judge automation fingerprints (tool user agents, header sets no browser sends). */
  browserFacing: z.boolean().optional(),
  /** One request to a honeypot route blocks the caller. */
  honeypot: z.boolean().optional(),
  /** Skip risk scoring on this route (authentication still applies). */
  scoring: z.boolean().optional(),
  weights: z.partialRecord(signalName, z.number().min(0).max(100)).optional(),
  thresholds: thresholdsSchema.optional(),
  bands: bandsSchema.optional(),
  block: blockSchema.optional(),
});

export const routeSchema = routeSettingsSchema.extend({
  /** Route template: `METHOD /path/{param}`; METHOD may be `ANY` or `*`; a path segment `*` matches one segment; a trailing `/*` or `{proxy+}` matches the rest. HTTP API `$default` is matched literally. */
  match: z.string().min(1),
});

export const journeySchema = z.strictObject({
  /** The guarded route template… */
  route: z.string().min(1),
  /** …may only be called by a subject who called this one… */
  after: z.string().min(1),
  /** …within this many seconds. */
  withinSeconds: positive,
});

export const clientClassSchema = z.strictObject({
  name: z.string().min(1),
  /** OAuth client ids (`client_id`/`azp`) of this class. */
  clientIds: z.array(z.string().min(1)).optional(),
  /** mTLS certificate subject DNs of this class. */
  certificateSubjects: z.array(z.string().min(1)).optional(),
  /** Multiplies the volume thresholds (machine clients legitimately call more often). */
  volumeMultiplier: positive.optional(),
  /** Signals that do not apply to this class (e.g. `automation`, `cadence` for IoT). */
  ignoreSignals: z.array(signalName).optional(),
});

export const policySchema = z.strictObject({
  $schema: z.string().optional(),
  /** `enforce` answers with the decision; `shadow` allows everything the engine would deny and reports it. */
  mode: z.enum(['enforce', 'shadow']).optional(),
  windows: z
    .strictObject({
      shortSeconds: z.number().int().min(10).max(3600),
      longSeconds: z.number().int().min(60).max(86400),
    })
    .partial()
    .optional(),
  /** Header naming a device or session (counted as its own scope when present). */
  deviceHeader: z.string().min(1).optional(),
  /** Headers scanned for malicious-input patterns besides path and query. */
  inspectHeaders: z.array(z.string().min(1)).optional(),
  defaults: routeSettingsSchema.optional(),
  routes: z.array(routeSchema).optional(),
  journeys: z.array(journeySchema).optional(),
  allowlist: z
    .strictObject({
      cidrs: z.array(z.string().min(1)).optional(),
      subjects: z.array(z.string().min(1)).optional(),
      clientIds: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  clientClasses: z.array(clientClassSchema).optional(),
});

export type PolicyFile = z.infer<typeof policySchema>;
export type RouteSettingsInput = z.infer<typeof routeSettingsSchema>;
