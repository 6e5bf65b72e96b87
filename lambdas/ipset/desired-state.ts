import { type BlockRecord, isActiveBlock } from '../store/table-schema';
import { type IpVersion, parseWafCidr, type WafCidr } from './address';
import { isInvalidAddressError } from './errors';

/** One address or prefix that should be in WAF, with the severity used to rank it at capacity. */
export interface DesiredEntry extends WafCidr {
  /** Highest score among the block records for this entry. */
  readonly score: number;
  /** Highest offence count among them. */
  readonly offences: number;
  /** Newest creation time among them (epoch seconds). */
  readonly createdAt: number;
  /** Latest expiry among them (epoch seconds). */
  readonly expiresAt: number;
}

/** A block record that should reach WAF but cannot be expressed as an IP-set entry. */
export interface RejectedBlock {
  readonly scope: BlockRecord['scope'];
  readonly value: string;
  readonly reason: string;
}

/** What should be in WAF, per IP version, and what was ignored on the way. */
export interface DesiredState {
  readonly entries: Readonly<Record<IpVersion, readonly DesiredEntry[]>>;
  readonly rejected: readonly RejectedBlock[];
  /** Counts of records that are correctly not sent to WAF. */
  readonly ignored: { readonly expired: number; readonly simulated: number; readonly notNetwork: number };
}

/**
 * Computes the desired WAF content from block records: unexpired (by our clock, because TTL deletion lags),
 * not simulated (shadow-mode decisions are never enforced), and of scope `ip` or `prefix` (token and subject
 * blocks are enforced by the authorizer, not by WAF). Records for the same entry merge to the most severe.
 */
export function desiredState(records: Iterable<BlockRecord>, nowSeconds: number): DesiredState {
  const byCidr = new Map<string, DesiredEntry>();
  const rejected: RejectedBlock[] = [];
  const ignored = { expired: 0, simulated: 0, notNetwork: 0 };
  for (const record of records) {
    if (record.scope !== 'ip' && record.scope !== 'prefix') {
      ignored.notNetwork += 1;
      continue;
    }
    if (!isActiveBlock(record, nowSeconds)) {
      ignored.expired += 1;
      continue;
    }
    if (record.simulated) {
      ignored.simulated += 1;
      continue;
    }
    const parsed = toWafCidr(record);
    if (typeof parsed === 'string') {
      rejected.push({ scope: record.scope, value: record.value, reason: parsed });
      continue;
    }
    const existing = byCidr.get(parsed.cidr);
    byCidr.set(parsed.cidr, {
      ...parsed,
      score: Math.max(existing?.score ?? Number.NEGATIVE_INFINITY, finiteOr(record.score, 0)),
      offences: Math.max(existing?.offences ?? Number.NEGATIVE_INFINITY, finiteOr(record.offences, 1)),
      createdAt: Math.max(existing?.createdAt ?? Number.NEGATIVE_INFINITY, record.createdAt),
      expiresAt: Math.max(existing?.expiresAt ?? Number.NEGATIVE_INFINITY, record.expiresAt),
    });
  }
  const entries: Record<IpVersion, DesiredEntry[]> = { IPV4: [], IPV6: [] };
  for (const entry of byCidr.values()) entries[entry.version].push(entry);
  return { entries, rejected, ignored };
}

/** The WAF entry for a record, or the reason it has none. */
function toWafCidr(record: BlockRecord): WafCidr | string {
  try {
    if (record.scope === 'prefix' && !record.value.includes('/')) {
      return 'prefix block without a prefix length';
    }
    const parsed = parseWafCidr(record.value);
    if (record.scope === 'ip' && record.value.includes('/') && parsed.prefixLength !== hostLength(parsed)) {
      return 'ip block holds a range; ranges are blocked with scope prefix';
    }
    return parsed;
  } catch (error) {
    if (isInvalidAddressError(error)) return error.message;
    throw error;
  }
}

function hostLength(entry: WafCidr): number {
  return entry.version === 'IPV4' ? 32 : 128;
}

function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}
