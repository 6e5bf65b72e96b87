import { fnv1a } from './network';

/**
 * Distinct-value sketches stored as DynamoDB number sets. A value is stored as its hash slot (0..SLOTS-1), so a
 * set can never hold more than SLOTS small numbers (an item stays far below 1 KB) however many values an attacker
 * sends; the distinct count is estimated by linear counting.
 */
export const SKETCH_SLOTS = 64;

export function sketchSlot(value: string): number {
  return fnv1a(value) % SKETCH_SLOTS;
}

/**
 * Linear-counting estimate of the distinct values behind `filled` occupied slots. Exact enough for the small
 * thresholds the signals use (a handful to a few dozen); saturates near SLOTS * ln(SLOTS) ≈ 266.
 */
export function estimateDistinct(filled: number): number {
  if (filled <= 0) return 0;
  if (filled >= SKETCH_SLOTS) return Math.round(SKETCH_SLOTS * Math.log(SKETCH_SLOTS));
  return Math.round(-SKETCH_SLOTS * Math.log(1 - filled / SKETCH_SLOTS));
}
