import { tryParseWafCidr } from './address';

/** Change needed to turn one IP set's current list into its desired list. */
export interface IpSetDiff {
  /** Canonical entries to add. */
  readonly add: readonly string[];
  /** Current entries (as WAF returned them) to remove: not desired, duplicates of a desired entry, or unparseable. */
  readonly remove: readonly string[];
  /** True when an UpdateIPSet is needed. */
  readonly changed: boolean;
}

/**
 * Compares an IP set's current addresses with the desired ones. Current entries are compared by meaning, not
 * spelling (`2001:DB8::1/128` equals `2001:db8::1/128`), so a set written by another tool in another spelling does
 * not cause an update on every run. The sets are owned by Gatewarden: anything not desired is removed.
 */
export function diffAddresses(current: readonly string[], desired: readonly string[]): IpSetDiff {
  const wanted = new Set(desired);
  const present = new Set<string>();
  const remove: string[] = [];
  for (const raw of current) {
    const cidr = tryParseWafCidr(raw)?.cidr;
    if (cidr === undefined || !wanted.has(cidr) || present.has(cidr)) {
      remove.push(raw);
      continue;
    }
    present.add(cidr);
  }
  const add = [...wanted].filter((cidr) => !present.has(cidr));
  return { add, remove, changed: add.length > 0 || remove.length > 0 };
}
