import { z } from 'zod';
import { defaultPolicy, loadPolicyFile, type Policy } from '../policy/policy';

/** Engine configuration from the environment; read once per container. */
export interface EngineConfig {
  readonly tableName: string;
  readonly policy: Policy;
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
    .regex(
      /^[A-Za-z0-9_.-]{3,255}$/,
      'GATEWARDEN_TABLE must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)',
    ),
  GATEWARDEN_POLICY: z.string().min(1).optional(),
  GATEWARDEN_MODE: z
    .enum(['enforce', 'shadow'], {
      error: 'GATEWARDEN_MODE must be "enforce" or "shadow" (or unset to use the policy file)',
    })
    .optional(),
});

/** Reads and validates the engine's environment. Throws {@link EngineConfigError} naming the variable. */
export function readEngineConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const parsed = envSchema.safeParse({
    GATEWARDEN_TABLE: env.GATEWARDEN_TABLE || undefined,
    GATEWARDEN_POLICY: env.GATEWARDEN_POLICY || undefined,
    GATEWARDEN_MODE: env.GATEWARDEN_MODE || undefined,
  });
  if (!parsed.success) {
    throw new EngineConfigError(parsed.error.issues.map((i) => i.message).join('; '));
  }
  const { GATEWARDEN_TABLE, GATEWARDEN_POLICY, GATEWARDEN_MODE } = parsed.data;
  const policy = GATEWARDEN_POLICY ? loadPolicyFile(GATEWARDEN_POLICY) : defaultPolicy();
  return {
    tableName: GATEWARDEN_TABLE,
    policy: GATEWARDEN_MODE ? withMode(policy, GATEWARDEN_MODE) : policy,
  };
}

/** The policy with its mode overridden (GATEWARDEN_MODE wins over the file). */
export function withMode(policy: Policy, mode: 'enforce' | 'shadow'): Policy {
  return Object.assign(Object.create(Object.getPrototypeOf(policy)), policy, { mode }) as Policy;
}
