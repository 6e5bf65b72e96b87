import {
  bucketAttr,
  type CounterUpdate,
  epochOf,
  setAttr,
  tokenRequestsAttr,
  UpdateBuilder,
} from '../engine/counter-layout';
import { COUNTER_TTL_SECONDS } from '../engine/engine';
import { canonicalIp, fnv1a, networkPrefix } from '../engine/network';
import { sketchSlot } from '../engine/sketch';
import { counterKey } from '../store/table-schema';
import type { AccessLogLine } from './access-log-format';

/** Statuses that count as error answers for the error-rate signal (auth failures, probing, validation). */
export const ERROR_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 405, 422]);

const isSubject = (principal: string): boolean => principal !== '' && principal !== 'anonymous';

/**
 * Turns a batch of access-log lines into one counter update per key (IP, prefix, subject), so a batch of N lines
 * costs as many writes as it has distinct keys, not N. What the request path already counted is not counted again:
 * - the request path counts requests on the subject's item (authenticated) or the IP's item (anonymous), and
 *   failed authentications (authorizer 401s, which carry no decision id) on the IP's item;
 * - this path adds what only the response shows (error answers, backend 401s such as failed logins), requests of
 *   authenticated callers per IP, the subjects seen per IP, and everything per prefix.
 */
export function aggregateFeedback(lines: readonly AccessLogLine[]): CounterUpdate[] {
  const builders = new Map<string, { b: UpdateBuilder; latest: number }>();
  const builder = (pk: string, sk: string, at: number): UpdateBuilder => {
    let e = builders.get(pk);
    if (!e) {
      e = { b: new UpdateBuilder(pk, sk), latest: at };
      builders.set(pk, e);
    }
    e.latest = Math.max(e.latest, at);
    return e.b;
  };

  for (const line of lines) {
    const ip = canonicalIp(line.ip);
    if (!ip) continue;
    const at = line.requestTimeEpoch / 1000;
    const minute = Math.floor(at / 60);
    const epoch = epochOf(at);
    const prefix = networkPrefix(ip);
    const subject = isSubject(line.principalId) ? line.principalId : undefined;
    const decided = (line.riskBand ?? '') !== '';
    // Our own denials are not the client's errors; counting them would feed a deny back into itself.
    const ownDeny =
      line.status === 403 && (line.riskBand === 'deny' || line.riskBand === 'block' || !decided);
    const error = ERROR_STATUSES.has(line.status) && !ownDeny;
    const authorizerRejected = line.status === 401 && !decided;
    const backendAuthFailure = line.status === 401 && decided;

    const ipKey = counterKey('ip', ip);
    const ipB = builder(ipKey.pk, ipKey.sk, at);
    if (subject) {
      ipB.add(bucketAttr('a', minute), 1).addToSet(setAttr('sub', epoch), sketchSlot(subject));
    }
    if (!subject && error && !authorizerRejected) ipB.add(bucketAttr('x', minute), 1);
    if (backendAuthFailure) ipB.add(bucketAttr('f', minute), 1);

    if (prefix) {
      const pKey = counterKey('prefix', prefix);
      const pB = builder(pKey.pk, pKey.sk, at)
        .add(bucketAttr('r', minute), 1)
        .setIfNotExists('firstSeen', Math.floor(at));
      if (line.status === 401) pB.add(bucketAttr('f', minute), 1);
      if (line.tokenHash) {
        // Distinct tokens and the requests carrying them, per epoch: together, a fleet-wide one-shot count.
        pB.addToSet(setAttr('tok', epoch), sketchSlot(line.tokenHash)).add(tokenRequestsAttr(epoch), 1);
      }
    }

    if (subject && error) {
      const sKey = counterKey('sub', subject);
      builder(sKey.pk, sKey.sk, at).add(bucketAttr('x', minute), 1);
    }
  }
  const salt = lines[0]?.requestId ?? '';
  const out: CounterUpdate[] = [];
  for (const { b, latest } of builders.values()) {
    const update = sampleQuietKey(b.build(Math.ceil(latest) + COUNTER_TTL_SECONDS), salt);
    if (update) out.push(update);
  }
  return out;
}

/**
 * Below this many requests in a batch, a key that carries nothing but request counts is written with probability
 * requests / SAMPLE_BELOW and, when written, counts SAMPLE_BELOW: the expected count is exact, and quiet clients
 * (people, far below any volume threshold) cost a fraction of a write. Keys with errors or failed logins are always
 * written: those are the evidence.
 */
export const SAMPLE_BELOW = 8;

function sampleQuietKey(u: CounterUpdate, salt: string): CounterUpdate | undefined {
  const kinds = Object.keys(u.add);
  // Request counts (`r`, `a`, and `tr` token-carrying requests) are sampled; anything else is evidence.
  if (kinds.some((k) => !/^(?:r|a|tr)\d/.test(k))) return u;
  const requests = kinds.filter((k) => !k.startsWith('tr')).reduce((sum, k) => sum + (u.add[k] ?? 0), 0);
  if (requests >= SAMPLE_BELOW || requests === 0) return u;
  // Deterministic per batch and key, so a replayed batch makes the same choice.
  const draw = fnv1a(`${salt}|${u.pk}`) / 2 ** 32;
  if (draw >= requests / SAMPLE_BELOW) return undefined;
  const scale = SAMPLE_BELOW / requests;
  const add: Record<string, number> = {};
  for (const k of kinds) add[k] = (u.add[k] ?? 0) * scale;
  return { ...u, add };
}
