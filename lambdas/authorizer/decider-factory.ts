import { IdentityOnlyDecider } from './identity-only-decider';
import type { Decider } from './types';

/**
 * The decider for REQUEST (REST) and HTTP API events, built once per container.
 * For now identity-only; the risk engine replaces this body. TOKEN events never come here: see `core.ts`.
 */
export function createDecider(): Decider {
  return new IdentityOnlyDecider();
}
