import type { CounterStore } from '../../engine/ports';
import * as z from '../../shared/schema';
import { RegionConfigError, type RegionLayout, regionLayout } from '../../store/regions';

/** Options of the `bodyInspection` middleware. Every one is optional; unknown keys are refused (typos). */
export interface BodyInspectionOptions {
  /**
   * What a hit does to this request: `record` counts it on the caller's counters and runs the handler (the
   * authorizer answers the caller's next request); `reject` counts it and answers `rejectStatus` instead.
   * @default 'record'
   */
  readonly onHit?: 'record' | 'reject';
  /** Status of a rejected request (body `{"message":"Bad Request"}` or `{"message":"Forbidden"}`). @default 400 */
  readonly rejectStatus?: 400 | 403;
  /** Bytes of the decoded body judged; past it only the start is judged, as text. 1 KB..6 MB. @default 65536 */
  readonly maxBodyBytes?: number;
  /** JSON nesting levels walked. 1..256. @default 32 */
  readonly maxDepth?: number;
  /** JSON keys and array elements, or form fields, read per body. 1..100000. @default 2000 */
  readonly maxFields?: number;
  /** The Gatewarden table. @default the GATEWARDEN_TABLE environment variable */
  readonly tableName?: string;
  /** Proxies in front of API Gateway, as the authorizer's TRUSTED_PROXY_COUNT. @default TRUSTED_PROXY_COUNT, else 0 */
  readonly trustedProxyCount?: number;
  /** Budget of the counter write, ms: past it the hit is logged and dropped. 50..5000. @default 300 */
  readonly storeTimeoutMs?: number;
  /** A counter store to use instead of one over `tableName` (tests, local tooling). */
  readonly store?: CounterStore;
  /** Environment read for the defaults above. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Epoch milliseconds, when the event carries no request time. @default Date.now */
  readonly clock?: () => number;
}

/** The options after validation and defaults. */
export interface BodyInspectionConfig {
  readonly onHit: 'record' | 'reject';
  readonly rejectStatus: 400 | 403;
  readonly maxBodyBytes: number;
  readonly maxDepth: number;
  readonly maxFields: number;
  readonly tableName: string | undefined;
  readonly trustedProxyCount: number;
  readonly storeTimeoutMs: number;
  readonly store: CounterStore | undefined;
  /** The table's Regions (GATEWARDEN_REGIONS): hits go to this Region's copy, as the authorizer's counts do. */
  readonly regions: RegionLayout | undefined;
  readonly clock: () => number;
}

/** The middleware's options or environment are invalid; the message names each one and the fix. */
export class BodyInspectionConfigError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
    this.name = 'BodyInspectionConfigError';
  }
}

export const isBodyInspectionConfigError = (e: unknown): e is BodyInspectionConfigError =>
  e instanceof BodyInspectionConfigError;

const defaults = {
  onHit: 'record',
  rejectStatus: 400,
  maxBodyBytes: 65_536,
  maxDepth: 32,
  maxFields: 2000,
  storeTimeoutMs: 300,
} as const;

const int = (min: number, max: number) =>
  z
    .number()
    .check(
      z.int({ error: 'must be a whole number' }),
      z.minimum(min, { error: `must be at least ${min}` }),
      z.maximum(max, { error: `must be at most ${max}` }),
    );

const optionsSchema = z.strictObject({
  onHit: z.optional(z.enum(['record', 'reject'], { error: "must be 'record' or 'reject'" })),
  rejectStatus: z.optional(z.union([z.literal(400), z.literal(403)], { error: 'must be 400 or 403' })),
  maxBodyBytes: z.optional(int(1024, 6 * 1024 * 1024)),
  maxDepth: z.optional(int(1, 256)),
  maxFields: z.optional(int(1, 100_000)),
  tableName: z.optional(
    z.string().check(z.regex(/^[\w.-]{3,255}$/, { error: 'is not a DynamoDB table name' })),
  ),
  trustedProxyCount: z.optional(int(0, 10)),
  storeTimeoutMs: z.optional(int(50, 5000)),
  store: z.optional(
    z.custom<CounterStore>((v) => typeof (v as CounterStore | null)?.applyUpdates === 'function', {
      error: 'must be a CounterStore (an object with applyUpdates)',
    }),
  ),
  env: z.optional(z.record(z.string(), z.optional(z.string()))),
  clock: z.optional(z.custom<() => number>((v) => typeof v === 'function', { error: 'must be a function' })),
});

const FIXES: Readonly<Record<string, string>> = {
  GATEWARDEN_TABLE: 'set it to the name of the Gatewarden DynamoDB table (or pass the tableName option)',
  TRUSTED_PROXY_COUNT: 'set the number of proxies in front of API Gateway, 0..10, as for the authorizer',
};

/** Reads an environment integer the way the authorizer does (whole number in range), or reports it. */
function envInt(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  min: number,
  max: number,
  problems: string[],
): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  problems.push(`${name} ${JSON.stringify(raw)} is invalid: ${FIXES[name]}`);
  return undefined;
}

/**
 * Validates the options (unknown keys refused) and reads the environment once. The table is required unless a
 * store is given.
 * @throws {BodyInspectionConfigError} listing every problem with its fix
 */
export function resolveBodyInspectionConfig(options: unknown = {}): BodyInspectionConfig {
  const parsed = optionsSchema.safeParse(options ?? {});
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.');
      problems.push(
        issue.code === 'unrecognized_keys'
          ? `unknown option(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: check the spelling`
          : `option ${path}: ${issue.message}`,
      );
    }
    throw new BodyInspectionConfigError(`bodyInspection: invalid options: ${problems.join('; ')}`, problems);
  }
  const o = parsed.data;
  const env = o.env ?? process.env;
  const tableName = o.tableName ?? (env.GATEWARDEN_TABLE?.trim() || undefined);
  const trustedProxyCount = o.trustedProxyCount ?? envInt(env, 'TRUSTED_PROXY_COUNT', 0, 10, problems) ?? 0;
  if (!o.store && tableName === undefined) {
    problems.push(`GATEWARDEN_TABLE is required: ${FIXES.GATEWARDEN_TABLE}`);
  }
  const regions = regionsOf(env, problems);
  if (problems.length > 0) {
    throw new BodyInspectionConfigError(`bodyInspection: ${problems.join('; ')}`, problems);
  }
  return {
    onHit: o.onHit ?? defaults.onHit,
    rejectStatus: o.rejectStatus ?? defaults.rejectStatus,
    maxBodyBytes: o.maxBodyBytes ?? defaults.maxBodyBytes,
    maxDepth: o.maxDepth ?? defaults.maxDepth,
    maxFields: o.maxFields ?? defaults.maxFields,
    tableName,
    trustedProxyCount,
    storeTimeoutMs: o.storeTimeoutMs ?? defaults.storeTimeoutMs,
    store: o.store as CounterStore | undefined,
    regions,
    clock: (o.clock as (() => number) | undefined) ?? Date.now,
  };
}

/** GATEWARDEN_REGIONS as the authorizer reads it; on a global table a hit written to the shared key is never read. */
function regionsOf(
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): RegionLayout | undefined {
  try {
    return regionLayout(env.GATEWARDEN_REGIONS, env.AWS_REGION || env.AWS_DEFAULT_REGION);
  } catch (error) {
    if (!(error instanceof RegionConfigError)) throw error;
    problems.push(error.message);
    return undefined;
  }
}
