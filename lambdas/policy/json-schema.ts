import * as z from '../shared/schema';
import { policySchema } from './schema';

/** The policy's JSON Schema, for editors (`"$schema": "./policy.schema.json"` in a policy file). */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(policySchema, { io: 'input' }),
    title: 'Gatewarden policy',
    description: 'Risk policy for the Gatewarden authorizers (GATEWARDEN_POLICY). Every field is optional.',
  };
}
