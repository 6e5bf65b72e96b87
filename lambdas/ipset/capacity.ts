import { compareCidrs, type IpVersion, maskNetwork, widenTo } from './address';
import type { DesiredEntry } from './desired-state';

/** WAF's hard limit of addresses and CIDRs per IP set. */
export const WAF_MAX_ADDRESSES_PER_SET = 10_000;

/** Options for {@link planCapacity}. */
export interface CapacityOptions {
  /** IP sets available for this IP version. */
  readonly setCount: number;
  /**
   * Entries written per set at most, at or below {@link WAF_MAX_ADDRESSES_PER_SET}; the headroom lets an operator
   * add addresses by hand in an emergency without hitting the hard limit.
   */
  readonly highWater: number;
  /**
   * Above capacity, a prefix (IPv4 /24, IPv6 /64) holding at least this many blocked entries is blocked as a whole,
   * densest first, only as far as needed to fit. 0 disables collapsing.
   */
  readonly collapseMinEntries: number;
  /** Prefix length to collapse to. @default IPv4 24, IPv6 64 */
  readonly collapsePrefixLength?: number;
}

/** Default prefix a dense group collapses to: a /24 is the smallest routed IPv4 block; a /64 is one IPv6 subnet. */
export const DEFAULT_COLLAPSE_PREFIX: Readonly<Record<IpVersion, number>> = { IPV4: 24, IPV6: 64 };

/** An entry that will not be in WAF because the sets are full. */
export interface LeftOutEntry {
  readonly cidr: string;
  readonly score: number;
  readonly offences: number;
  readonly createdAt: number;
}

/** Several blocked entries written as one prefix to save space. */
export interface CollapsedPrefix {
  readonly cidr: string;
  readonly members: number;
}

/** What goes into each IP set of one version. */
export interface CapacityPlan {
  readonly version: IpVersion;
  /** One sorted list per set, in the order of the configured sets; each within `highWater`. */
  readonly sets: readonly (readonly string[])[];
  /** Entries not written, most severe first. Empty unless the desired state exceeds capacity. */
  readonly leftOut: readonly LeftOutEntry[];
  readonly collapsed: readonly CollapsedPrefix[];
  /** Entries dropped because a blocked prefix in the plan already covers them (still blocked, not left out). */
  readonly covered: number;
}

/**
 * Fits the desired entries of one IP version into `setCount` sets of `highWater` entries each:
 * 1. drop entries covered by a blocked prefix (they stay blocked);
 * 2. if still too many, collapse the densest prefixes (at least `collapseMinEntries` members);
 * 3. if still too many, keep the most severe - highest score, then most offences, then newest - and report the rest;
 * 4. spread the kept entries over the sets by a hash of the entry, so adding one block changes one set only.
 *
 * The result depends on the entries alone (not on what WAF holds now), so concurrent reconcilers that read the
 * same blocks write the same lists, and their last-writer-wins updates agree.
 */
export function planCapacity(
  version: IpVersion,
  entries: readonly DesiredEntry[],
  options: CapacityOptions,
): CapacityPlan {
  const highWater = Math.min(Math.max(0, Math.floor(options.highWater)), WAF_MAX_ADDRESSES_PER_SET);
  const capacity = Math.max(0, options.setCount) * highWater;
  // A prefix that does not fit blocks nothing, so the entries it covered compete for the room again (and are
  // reported if they do not fit either). Each round only adds prefixes to this set, so the loop ends.
  // A collapsed prefix that does not fit is reported as that prefix (collapsing exists only to fit more).
  const given = new Set(entries);
  const notWritten = new Set<DesiredEntry>();
  for (;;) {
    const round = selectWithin(version, entries, notWritten, capacity, options);
    const newlyOut = round.out.filter((e) => given.has(e) && !notWritten.has(e) && coversAnother(e, entries));
    if (newlyOut.length === 0) {
      const leftOut = round.out.map(({ cidr, score, offences, createdAt }) => ({
        cidr,
        score,
        offences,
        createdAt,
      }));
      const sets = spread(round.kept, options.setCount, highWater);
      return { version, sets, leftOut, collapsed: round.collapsed, covered: round.covered };
    }
    for (const prefix of newlyOut) notWritten.add(prefix);
  }
}

/** One round of steps 1-3: the most severe entries within `capacity`, prefixes in `notWritten` covering nothing. */
function selectWithin(
  version: IpVersion,
  entries: readonly DesiredEntry[],
  notWritten: ReadonlySet<DesiredEntry>,
  capacity: number,
  options: CapacityOptions,
) {
  const covering = entries.filter((e) => !notWritten.has(e));
  const uncovered = [...dropCovered(covering), ...notWritten];
  const covered = entries.length - uncovered.length;

  let working: DesiredEntry[] = uncovered;
  const collapsed: CollapsedPrefix[] = [];
  if (working.length > capacity && options.collapseMinEntries > 0) {
    const prefixLength = options.collapsePrefixLength ?? DEFAULT_COLLAPSE_PREFIX[version];
    working = collapseDensest(working, prefixLength, options.collapseMinEntries, capacity, collapsed);
  }
  working.sort(bySeverity);
  return { kept: working.slice(0, capacity), out: working.slice(capacity), collapsed, covered };
}

/** True when `prefix` contains some other entry (only then does leaving it out unblock more than itself). */
function coversAnother(prefix: DesiredEntry, entries: readonly DesiredEntry[]): boolean {
  return entries.some(
    (e) =>
      e !== prefix &&
      e.version === prefix.version &&
      e.prefixLength > prefix.prefixLength &&
      maskNetwork(e.network, prefix.prefixLength, e.version) === prefix.network,
  );
}

/** Most severe first: score, offences, newest, then address order so ties are deterministic. */
export function bySeverity(a: DesiredEntry, b: DesiredEntry): number {
  return (
    b.score - a.score ||
    b.offences - a.offences ||
    b.createdAt - a.createdAt ||
    b.expiresAt - a.expiresAt ||
    compareCidrs(a, b)
  );
}

/** Removes entries inside another entry's prefix. */
function dropCovered(entries: readonly DesiredEntry[]): DesiredEntry[] {
  const lengths = [...new Set(entries.map((e) => e.prefixLength))].sort((a, b) => a - b);
  const networks = new Set(entries.map((e) => `${e.prefixLength}:${e.network}`));
  return entries.filter((entry) => {
    for (const length of lengths) {
      if (length >= entry.prefixLength) break;
      if (networks.has(`${length}:${maskNetwork(entry.network, length, entry.version)}`)) return false;
    }
    return true;
  });
}

function collapseDensest(
  entries: DesiredEntry[],
  prefixLength: number,
  minEntries: number,
  capacity: number,
  collapsed: CollapsedPrefix[],
): DesiredEntry[] {
  const groups = new Map<bigint, DesiredEntry[]>();
  for (const entry of entries) {
    if (entry.prefixLength <= prefixLength) continue;
    const key = maskNetwork(entry.network, prefixLength, entry.version);
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  const candidates = [...groups.values()]
    .filter((group) => group.length >= Math.max(2, minEntries))
    .map((group) => ({ group, top: [...group].sort(bySeverity)[0]! }))
    .sort((a, b) => b.group.length - a.group.length || bySeverity(a.top, b.top));

  let count = entries.length;
  const replaced = new Set<DesiredEntry>();
  const added: DesiredEntry[] = [];
  for (const { group } of candidates) {
    if (count <= capacity) break;
    const widened = widenTo(group[0]!, prefixLength);
    added.push({
      ...widened,
      score: Math.max(...group.map((e) => e.score)),
      offences: Math.max(...group.map((e) => e.offences)),
      createdAt: Math.max(...group.map((e) => e.createdAt)),
      expiresAt: Math.max(...group.map((e) => e.expiresAt)),
    });
    for (const entry of group) replaced.add(entry);
    collapsed.push({ cidr: widened.cidr, members: group.length });
    count -= group.length - 1;
  }
  return [...entries.filter((e) => !replaced.has(e)), ...added];
}

/** Hash-sharded, with linear probing when a set is full; input order must not matter, so sort first. */
function spread(entries: DesiredEntry[], setCount: number, highWater: number): string[][] {
  const sets: string[][] = Array.from({ length: Math.max(0, setCount) }, () => []);
  if (sets.length === 0) return sets;
  const ordered = [...entries].sort(compareCidrs);
  for (const entry of ordered) {
    let index = fnv1a(entry.cidr) % sets.length;
    while (sets[index]!.length >= highWater) index = (index + 1) % sets.length;
    sets[index]!.push(entry.cidr);
  }
  return sets;
}

/** 32-bit FNV-1a: stable across runtimes, unlike anything seeded. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
