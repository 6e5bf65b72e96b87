import {
  BUCKET_SECONDS,
  type BucketKind,
  distinctCount,
  epochOf,
  ID_BLOCK_SIZE,
  type Item,
  minuteOf,
  num,
  SET_EPOCH_SECONDS,
  setAttr,
  tokenRequestsAttr,
  type WindowCounts,
  windowCounts,
} from './counter-layout';
import type { RequestIdentity, RequestSignals } from './features';
import type { SurgeState } from './fleet-traffic';
import type { LocalCounters } from './local-state';
import type { CounterView } from './signals';
import { estimateDistinct } from './sketch';

/**
 * The counter view: what the signals read, built from the fleet-wide items of this request's round trip.
 *
 * Every input a verdict depends on is fleet-wide (the client's item, synced by every container, and the IP, prefix
 * and token items), so a container that sees a random 1/K of a client's requests reaches the same verdict as one
 * that sees them all. This container's own counters add only what the shared items cannot have yet: its unsynced
 * requests to IP and prefix items it does not write, and what it saw of a client it was holding blocked.
 */
export interface ViewInputs {
  readonly now: number;
  readonly windows: { readonly shortSeconds: number; readonly longSeconds: number };
  readonly who: RequestIdentity;
  readonly keys: LocalKeys;
  /** The client's item (subject, or IP for anonymous callers) with this container's pending counts applied. */
  readonly idItem: Item | undefined;
  readonly ipItem: Item | undefined;
  readonly prefixItem: Item | undefined;
  readonly local: LocalCounters;
  readonly surge: SurgeState;
  readonly request: RequestSignals;
}

/** Keys of this container's local counters for one request. */
export interface LocalKeys {
  readonly idKey: string;
  readonly ipKey: string;
  readonly prefixKey: string;
  readonly tokKey: string;
  readonly clientKey: string | undefined;
}

export function localKeys(who: RequestIdentity): LocalKeys {
  return {
    idKey: who.subject ? `sub#${who.subject}` : `ip#${who.ip ?? '?'}`,
    ipKey: `ip#${who.ip ?? '?'}`,
    prefixKey: `prefix#${who.prefix ?? '?'}`,
    tokKey: `token#${who.tokenHash ?? '?'}`,
    clientKey: who.clientId ? `client#${who.clientId}` : undefined,
  };
}

/** Builds the view and lists the journey rules this request breaks. */
export function buildView(input: ViewInputs): { view: CounterView; journeyViolations: string[] } {
  const { now, who, keys, idItem, local } = input;
  const { shortSeconds, longSeconds } = input.windows;
  const subject = who.subject;
  const idCounts = identityCounts(idItem, local, keys.idKey, now, input.windows);
  const ipCounts =
    subject === undefined ? idCounts : mergedCounts(input.ipItem, local, keys.ipKey, now, input.windows);
  const prefixCounts = mergedCounts(input.prefixItem, local, keys.prefixKey, now, input.windows);
  // Per IP, authenticated requests (`a`) add to the anonymous ones only when the caller is authenticated.
  const ipVolume = (w: Readonly<Record<BucketKind, number>>) => w.r + (subject !== undefined ? w.a : 0);
  const firstSeen = num(idItem?.firstSeen) || local.firstSeen(keys.idKey) || now;
  const sweep = idSweep(idItem, now);
  const regularity = countRegularity(idItem, now, longSeconds);
  // An authenticated caller's requests are part of its IP's volume. The IP item hears of them late (access logs) and
  // this container sees 1/K of them; the subject's own item has them all, and when the subject uses this one IP
  // they are a lower bound of the IP's volume that any container reads alike.
  const singleIp = subject !== undefined && distinctCount(idItem, 'ips', now) <= 1;
  const view: CounterView = {
    authenticated: subject !== undefined,
    ipShort: Math.max(ipVolume(ipCounts.short), singleIp ? idCounts.short.r : 0),
    ipLong: Math.max(ipVolume(ipCounts.long), singleIp ? idCounts.long.r : 0),
    prefixShort: prefixCounts.short.r,
    prefixLong: prefixCounts.long.r,
    subjectShort: subject ? idCounts.short.r : 0,
    subjectLong: subject ? idCounts.long.r : 0,
    // A token's requests are its subject's (counts live on the subject's item) unless this container saw more.
    tokenShort: who.tokenHash
      ? Math.max(local.count(keys.tokKey, 'r', now, shortSeconds), subject ? idCounts.short.r : 0)
      : 0,
    clientShort: keys.clientKey ? local.count(keys.clientKey, 'r', now, shortSeconds) : 0,
    ipFailures: ipCounts.long.f,
    prefixFailures: prefixCounts.long.f,
    subjectAuthzFailures: subject ? idCounts.long.z : 0,
    ipAuthzFailures: ipCounts.long.z,
    distinctIpsForIdentity: subject
      ? Math.max(
          distinctCount(idItem, 'ips', now),
          local.distinct(keys.idKey, 'ips', now),
          local.distinct(keys.tokKey, 'ips', now),
        )
      : 0,
    distinctSubjectsOnIp: Math.max(
      distinctCount(input.ipItem, 'sub', now),
      local.distinct(keys.ipKey, 'subs', now),
    ),
    oneShotTokensOnPrefix: oneShotTokens(input.prefixItem, now),
    identityRequests: idCounts.long.r,
    identityHeads: idCounts.long.h,
    identityErrors: idCounts.long.x,
    identityInjections: idCounts.long.i,
    recentBodyHits: idCounts.short.b,
    distinctIds: sweep.distinct,
    idDensity: sweep.density,
    cadenceVariation: regularity.variation,
    cadenceSamples: regularity.samples,
    underAttack: input.surge.underAttack,
    knownClient: input.surge.surgeStart === undefined || firstSeen < input.surge.surgeStart,
  };
  const journeyViolations = input.request.journeyGuards
    .filter((g) => {
      const at = Math.max(num(idItem?.[g.mark]), local.markAt(keys.idKey, g.mark) ?? 0);
      return !(at > 0 && now - at <= g.within);
    })
    .map((g) => g.rule);
  return { view, journeyViolations };
}

/**
 * The client's own counts: its fleet-wide item, or this container's counters when they saw more (a client this
 * container held blocked without counting in the store). One source for every kind, never a per-kind maximum:
 * mixing sources would pair one source's HEAD count with another's request count.
 */
function identityCounts(
  item: Item | undefined,
  local: LocalCounters,
  key: string,
  now: number,
  w: { readonly shortSeconds: number; readonly longSeconds: number },
): WindowCounts {
  const shared = windowCounts(item, now, w.shortSeconds, w.longSeconds);
  const mine = local.windowCounts(key, now, w.shortSeconds, w.longSeconds);
  const chosen = mine.long.r > shared.long.r ? mine : shared;
  // Authorization refusals are written at once (never coalesced), so this container's own are always in the item
  // after its next sync; until then they may be newer here. Hits a backend found in a body (`b`, also in `i`) exist
  // only in the item: they are kept whichever source is chosen.
  const keep = (
    c: Readonly<Record<BucketKind, number>>,
    s: Readonly<Record<BucketKind, number>>,
    m: typeof s,
  ) => ({
    ...c,
    z: Math.max(s.z, m.z),
    i: Math.max(c.i, s.i),
    b: s.b,
  });
  return {
    short: keep(chosen.short, shared.short, mine.short),
    long: keep(chosen.long, shared.long, mine.long),
  };
}

/**
 * Counts for an item this container reads but does not write (IP items of authenticated callers, prefixes): per
 * kind, whichever saw more, the shared item or this container (never their sum: the container's own requests reach
 * the item through the feedback path).
 */
export function mergedCounts(
  item: Item | undefined,
  local: LocalCounters,
  key: string,
  now: number,
  w: { readonly shortSeconds: number; readonly longSeconds: number },
): WindowCounts {
  const shared = windowCounts(item, now, w.shortSeconds, w.longSeconds);
  const mine = local.windowCounts(key, now, w.shortSeconds, w.longSeconds);
  const max = (a: Readonly<Record<BucketKind, number>>, b: Readonly<Record<BucketKind, number>>) => ({
    r: Math.max(a.r, b.r),
    a: Math.max(a.a, b.a),
    f: Math.max(a.f, b.f),
    h: Math.max(a.h, b.h),
    x: Math.max(a.x, b.x),
    i: Math.max(a.i, b.i),
    z: Math.max(a.z, b.z),
    b: Math.max(a.b, b.b),
  });
  return { short: max(shared.short, mine.short), long: max(shared.long, mine.long) };
}

/**
 * How densely a client sweeps numeric ids, from its fleet-wide sketches: distinct ids (`ids`) over the capacity of
 * the id blocks they fall in (`idb`). A sequential sweep of n ids fills about n / (n + 8) of its blocks; ids
 * scattered over a catalogue fill one slot in eight. Any random subset of the requests gives the same ratio.
 */
export function idSweep(
  item: Item | undefined,
  now: number,
): { distinct: number; density: number | undefined } {
  const distinct = distinctCount(item, 'ids', now);
  const blocks = distinctCount(item, 'idb', now);
  if (distinct < 2 || blocks < 1) return { distinct, density: undefined };
  return { distinct, density: Math.min(1, distinct / (blocks * ID_BLOCK_SIZE)) };
}

/**
 * Tokens seen exactly once on a prefix during the previous (complete) 10-minute epoch, as a lower bound from
 * fleet-wide counts: with D distinct tokens over N token-carrying requests, at least 2D − N tokens were used only
 * once. The previous epoch only: people who just arrived have used their token once so far, a rotating bot's
 * tokens stay at one for good. Only judged when the prefix was active before that epoch began.
 */
export function oneShotTokens(prefixItem: Item | undefined, now: number): number {
  if (!prefixItem) return 0;
  const epoch = epochOf(now) - 1;
  // A prefix that became active during that epoch (or a fresh deployment) shows everyone's first request only.
  const firstSeen = num(prefixItem.firstSeen);
  if (!(firstSeen > 0 && firstSeen <= epoch * SET_EPOCH_SECONDS)) return 0;
  const v = prefixItem[setAttr('tok', epoch)];
  const filled = v instanceof Set ? v.size : Array.isArray(v) ? v.length : 0;
  const distinct = estimateDistinct(filled);
  const requests = num(prefixItem[tokenRequestsAttr(epoch)]);
  return Math.max(0, 2 * distinct - requests);
}

/**
 * Regularity of a client's request rate over complete minutes of its fleet-wide counts: a metronome sends the same
 * number every minute (variance at most ¼ from rounding), people vary (Poisson at least: variance ≈ mean). Reported
 * as a coefficient of variation of the interval (√((variance − ¼) / mean), the renewal-theory equivalent), so the
 * policy's `cadenceMaxVariation` keeps its meaning. The newest two minutes are left out: other containers' counts of
 * them may not be synced yet. Thinning by the fleet does not change the counts, which are fleet-wide.
 */
export function countRegularity(
  item: Item | undefined,
  now: number,
  longSeconds: number,
): { variation: number | undefined; samples: number } {
  if (!item) return { variation: undefined, samples: 0 };
  const current = minuteOf(now);
  const minutes = Math.max(0, Math.round(longSeconds / BUCKET_SECONDS) - 2);
  const firstSeenMinute = minuteOf(num(item.firstSeen) || now);
  const counts: number[] = [];
  for (let m = current - 2; m > current - 2 - minutes && m > firstSeenMinute; m -= 1) {
    counts.push(num(item[`r${m}`]));
  }
  const samples = counts.reduce((a, b) => a + b, 0);
  if (counts.length < 5 || samples === 0) return { variation: undefined, samples };
  const mean = samples / counts.length;
  const variance = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / (counts.length - 1);
  return { variation: Math.sqrt(Math.max(0, variance - 0.25) / mean), samples };
}
