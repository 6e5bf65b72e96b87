import type { BlockRecord } from '../../lambdas/store/table-schema';

/** Fixed "now" (epoch seconds) for tests that do not need the real clock. */
export const NOW = 1_800_000_000;

/** A block record with defaults: active for an hour from {@link NOW}, enforced, score 80, first offence. */
export function block(value: string, overrides: Partial<BlockRecord> = {}): BlockRecord {
  return {
    scope: value.includes('/') ? 'prefix' : 'ip',
    value,
    createdAt: NOW - 60,
    expiresAt: NOW + 3600,
    score: 80,
    reason: 'test',
    offences: 1,
    simulated: false,
    ...overrides,
  };
}

/** `count` distinct IPv4 host blocks, spread so that no /24 holds more than `perPrefix` of them. */
export function manyIpv4Blocks(
  count: number,
  perPrefix = 200,
  overrides?: (i: number) => Partial<BlockRecord>,
) {
  return Array.from({ length: count }, (_, i) => {
    const prefix = Math.floor(i / perPrefix);
    const host = (i % perPrefix) + 1;
    return block(`10.${(prefix >> 8) & 0xff}.${prefix & 0xff}.${host}`, overrides?.(i));
  });
}
