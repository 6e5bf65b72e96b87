import { createHash } from 'node:crypto';

/**
 * The name of a token everywhere one must be named (context, logs, counters, operator commands):
 * the first 16 hex characters of SHA-256 of the raw token. Never log the token itself.
 */
export function tokenHash(rawToken: string): string {
  return createHash('sha256').update(rawToken, 'utf8').digest('hex').slice(0, 16);
}
