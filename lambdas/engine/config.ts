import { defaultPolicy, loadPolicyFile, type Policy } from '../policy/policy';
import * as z from '../shared/schema';
import { type RegionLayout, regionLayout } from '../store/regions';

/** Engine configuration from the environment; read once per container. */
export interface EngineConfig {
  readonly tableName: string;
  readonly policy: Policy;
  /** Budget of the counting round trip (both attempts); past it the route's fail mode applies. */
  readonly storeTimeoutMs: number;
  /** The table's Regions (GATEWARDEN_REGIONS, with AWS_REGION as this one); undefined for one Region. */
  readonly regions?: RegionLayout;
}

/** A configuration error; the message names the variable and the fix. */
export class EngineConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EngineConfigError';
  }
}

const envSchema = z.object({
  GATEWARDEN_TABLE: z
    .string({ error: 'GATEWARDEN_TABLE is required: set it to the name of the Gatewarden DynamoDB table' })
    .check(
      z.regex(
        /^[A-Za-z0-9_.-]{3,255}$/,
        'GATEWARDEN_TABLE must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)',
      ),
    ),
  GATEWARDEN_POLICY: z.optional(z.string().check(z.minLength(1))),
  GATEWARDEN_MODE: z.optional(
    z.enum(['enforce', 'shadow'], {
      error: 'GATEWARDEN_MODE must be "enforce" or "shadow" (or unset to use the policy file)',
    }),
  ),
  GATEWARDEN_STORE_TIMEOUT_MS: z._default(
    z.coerce
      .number({ error: 'GATEWARDEN_STORE_TIMEOUT_MS must be a number of milliseconds between 50 and 5000' })
      .check(
        z.int('GATEWARDEN_STORE_TIMEOUT_MS must be a whole number of milliseconds'),
        z.minimum(50, 'GATEWARDEN_STORE_TIMEOUT_MS must be at least 50 (ms)'),
        z.maximum(
          5000,
          'GATEWARDEN_STORE_TIMEOUT_MS must be at most 5000 (ms): the authorizer answers every request',
        ),
      ),
    350,
  ),
});

/** Reads and validates the engine's environment. Throws {@link EngineConfigError} naming the variable. */
export function readEngineConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const parsed = envSchema.safeParse({
    GATEWARDEN_TABLE: env.GATEWARDEN_TABLE || undefined,
    GATEWARDEN_POLICY: env.GATEWARDEN_POLICY || undefined,
    GATEWARDEN_MODE: env.GATEWARDEN_MODE || undefined,
    GATEWARDEN_STORE_TIMEOUT_MS: env.GATEWARDEN_STORE_TIMEOUT_MS || undefined,
  });
  if (!parsed.success) {
    throw new EngineConfigError(parsed.error.issues.map((i) => i.message).join('; '));
  }
  const { GATEWARDEN_TABLE, GATEWARDEN_POLICY, GATEWARDEN_MODE, GATEWARDEN_STORE_TIMEOUT_MS } = parsed.data;
  const policy = GATEWARDEN_POLICY ? loadPolicyFile(GATEWARDEN_POLICY) : defaultPolicy();
  const regions = readRegions(env);
  return {
    tableName: GATEWARDEN_TABLE,
    policy: GATEWARDEN_MODE ? withMode(policy, GATEWARDEN_MODE) : policy,
    storeTimeoutMs: GATEWARDEN_STORE_TIMEOUT_MS,
    ...(regions ? { regions } : {}),
  };
}

/**
 * The table's Regions from GATEWARDEN_REGIONS (set by the stack when the table has replicas) and AWS_REGION.
 * @throws {EngineConfigError} naming GATEWARDEN_REGIONS and the fix.
 */
export function readRegions(env: NodeJS.ProcessEnv = process.env): RegionLayout | undefined {
  try {
    return regionLayout(env.GATEWARDEN_REGIONS, env.AWS_REGION || env.AWS_DEFAULT_REGION);
  } catch (error) {
    throw new EngineConfigError((error as Error).message, { cause: error });
  }
}

/** The policy with its mode overridden (GATEWARDEN_MODE wins over the file). */
export function withMode(policy: Policy, mode: 'enforce' | 'shadow'): Policy {
  return Object.assign(Object.create(Object.getPrototypeOf(policy)), policy, { mode }) as Policy;
}
