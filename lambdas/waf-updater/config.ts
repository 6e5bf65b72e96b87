import { isInvalidIpSetArnError } from '../ipset/errors';
import { type IpSetRef, parseIpSetArn } from '../ipset/ip-set-arn';
import * as z from '../shared/schema';

/** Validated configuration of the WAF updater. */
export interface WafUpdaterConfig {
  /** The Gatewarden table (its `active-blocks` index is read). */
  readonly tableName: string;
  /** IP sets per version, in the configured order; at least one set overall. */
  readonly ipSets: { readonly IPV4: readonly IpSetRef[]; readonly IPV6: readonly IpSetRef[] };
  /** Entries written per set at most (1-10,000). */
  readonly highWater: number;
  /** Minimum blocked entries in a /24 (IPv4) or /64 (IPv6) to collapse it when over capacity; 0 disables. */
  readonly collapseMinEntries: number;
}

/** The configuration is missing or wrong; the message lists every problem with its fix. */
export class WafUpdaterConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`WAF updater configuration is invalid:\n- ${problems.join('\n- ')}`);
    this.name = 'WafUpdaterConfigError';
    this.problems = problems;
  }
}

/** Type guard for {@link WafUpdaterConfigError}. */
export function isWafUpdaterConfigError(error: unknown): error is WafUpdaterConfigError {
  return error instanceof WafUpdaterConfigError;
}

const arnList = (variable: string) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((value: string | undefined, ctx) => {
      const refs: IpSetRef[] = [];
      for (const arn of (value ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        try {
          refs.push(parseIpSetArn(arn));
        } catch (error) {
          if (!isInvalidIpSetArnError(error)) throw error;
          ctx.issues.push({ code: 'custom', message: `${variable}: ${error.message}`, input: value });
        }
      }
      return refs;
    }),
  );

const integer = (variable: string, min: number, max: number, fallback: number, fix: string) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((value: string | undefined, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.issues.push({
          code: 'custom',
          message: `${variable} must be an integer from ${min} to ${max}, got "${value}": ${fix}`,
          input: value,
        });
        return fallback;
      }
      return n;
    }),
  );

const tableRequired = 'GATEWARDEN_TABLE is required: set it to the name of the Gatewarden table';

const schema = z
  .object({
    GATEWARDEN_TABLE: z.string({ error: tableRequired }).check(z.trim(), z.minLength(1, tableRequired)),
    WAF_IPSET_V4_ARNS: arnList('WAF_IPSET_V4_ARNS'),
    WAF_IPSET_V6_ARNS: arnList('WAF_IPSET_V6_ARNS'),
    WAF_IPSET_HIGH_WATER: integer(
      'WAF_IPSET_HIGH_WATER',
      1,
      10_000,
      9_500,
      'WAF holds at most 10,000 addresses per IP set; leave headroom for manual entries',
    ),
    WAF_COLLAPSE_MIN_ENTRIES: integer(
      'WAF_COLLAPSE_MIN_ENTRIES',
      0,
      65_536,
      8,
      'set 0 to never collapse addresses into prefixes',
    ),
  })
  .check(
    z.superRefine((env, ctx) => {
      const all = [...env.WAF_IPSET_V4_ARNS, ...env.WAF_IPSET_V6_ARNS];
      if (all.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message:
            'WAF_IPSET_V4_ARNS and WAF_IPSET_V6_ARNS are both empty: set at least one comma-separated list of IP-set ARNs',
        });
      }
      const seen = new Set<string>();
      for (const ref of all) {
        if (seen.has(ref.arn)) {
          ctx.addIssue({
            code: 'custom',
            message: `IP set ${ref.arn} is listed twice: each set holds one version and one share`,
          });
        }
        seen.add(ref.arn);
      }
    }),
  );

/**
 * Reads and validates the environment once. Every problem is reported together, each naming the variable and the
 * fix, so a misconfigured deployment fails at cold start with one readable error.
 *
 * | variable                   | meaning                                                        | default |
 * |----------------------------|----------------------------------------------------------------|---------|
 * | `GATEWARDEN_TABLE`         | table name                                                     | required |
 * | `WAF_IPSET_V4_ARNS`        | comma-separated IPv4 IP-set ARNs (name, id, scope from the ARN)  | none    |
 * | `WAF_IPSET_V6_ARNS`        | comma-separated IPv6 IP-set ARNs                                 | none    |
 * | `WAF_IPSET_HIGH_WATER`     | entries per set at most (1-10,000)                              | 9,500   |
 * | `WAF_COLLAPSE_MIN_ENTRIES` | entries in a /24 or /64 to collapse it when over capacity; 0 = never | 8  |
 *
 * @throws {WafUpdaterConfigError}
 */
export function readWafUpdaterConfig(
  env: Record<string, string | undefined> = process.env,
): WafUpdaterConfig {
  const result = schema.safeParse(env);
  if (!result.success) throw new WafUpdaterConfigError(result.error.issues.map((issue) => issue.message));
  const value = result.data;
  return {
    tableName: value.GATEWARDEN_TABLE,
    ipSets: { IPV4: value.WAF_IPSET_V4_ARNS, IPV6: value.WAF_IPSET_V6_ARNS },
    highWater: value.WAF_IPSET_HIGH_WATER,
    collapseMinEntries: value.WAF_COLLAPSE_MIN_ENTRIES,
  };
}
