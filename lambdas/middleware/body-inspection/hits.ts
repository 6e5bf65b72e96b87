import {
  bucketAttr,
  COUNTER_TTL_SECONDS,
  type CounterUpdate,
  minuteOf,
  UpdateBuilder,
} from '../../engine/counter-layout';
import { type InjectionKind, injectionsInPart } from '../../engine/detectors/malicious-input';
import { counterKey } from '../../store/table-schema';
import type { BodyPart } from './body';
import type { BodyCaller } from './caller';

/** One finding: the family and where it sat (never the value). */
export interface BodyHit {
  readonly family: InjectionKind;
  readonly field: string;
}

/** Findings kept per body for the log line; the count of hits is what the counters get. */
const MAX_REPORTED_HITS = 20;

/**
 * Runs the authorizer's own detector (`injectionsInPart`, the function the engine's features call through
 * `findInjectionsIn`) on each part of the body, each judged in its context (a key as a parameter name, a value as a
 * parameter value named by its key). Distinct (family, field) pairs, at most {@link MAX_REPORTED_HITS}.
 */
export function findBodyHits(parts: readonly BodyPart[]): BodyHit[] {
  const hits: BodyHit[] = [];
  const seen = new Set<string>();
  for (const { field, part } of parts) {
    for (const family of injectionsInPart(part)) {
      const key = `${family}\u0000${field}`;
      if (seen.has(key)) continue;
      seen.add(key);
      hits.push({ family, field });
      if (hits.length >= MAX_REPORTED_HITS) return hits;
    }
  }
  return hits;
}

/**
 * The counter writes for one request whose body carried hits, whatever their number (a request is one probe, as in
 * the authorizer): on the client's own item — the subject's, or the IP's for anonymous callers, the item the
 * authorizer's `malicious-input` signal reads — `i` (hits, the escalation count) and `b` (hits the authorizer has not
 * answered for); for an authenticated caller also `i` on its IP's item, so anonymous probes from that IP escalate
 * from it. `b` stays off a shared IP's item: one user's probe must not deny the others behind the same NAT.
 * One UpdateItem per item: one write for an anonymous caller, two for an authenticated one.
 */
export function hitUpdates(caller: Pick<BodyCaller, 'ip' | 'subject'>, nowSeconds: number): CounterUpdate[] {
  const minute = minuteOf(nowSeconds);
  const expiresAt = Math.ceil(nowSeconds) + COUNTER_TTL_SECONDS;
  const updates: CounterUpdate[] = [];
  const own =
    caller.subject !== undefined
      ? counterKey('sub', caller.subject)
      : caller.ip
        ? counterKey('ip', caller.ip)
        : undefined;
  if (own) {
    updates.push(
      new UpdateBuilder(own.pk, own.sk)
        .add(bucketAttr('i', minute), 1)
        .add(bucketAttr('b', minute), 1)
        .build(expiresAt),
    );
  }
  if (caller.subject !== undefined && caller.ip) {
    const ip = counterKey('ip', caller.ip);
    updates.push(new UpdateBuilder(ip.pk, ip.sk).add(bucketAttr('i', minute), 1).build(expiresAt));
  }
  return updates;
}
