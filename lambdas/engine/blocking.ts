import type { ResolvedRouteSettings } from '../policy/defaults';
import type { BlockRecord, BlockScope } from '../store/table-schema';
import type { DecisionRecord } from './decision-record';
import type { RequestIdentity } from './features';
import type { BlockCache } from './local-state';
import type { CounterStore } from './ports';
import type { CounterView, SignalResult } from './signals';

/**
 * Where a block lands. Fairness: an IP that carries several well-behaved subjects (office or carrier NAT) is never
 * IP-blocked; the offender behind it gets a token or subject block instead.
 */
export function blockTarget(
  top: readonly SignalResult[],
  view: CounterView,
  who: Partial<Pick<RequestIdentity, 'ip' | 'prefix' | 'tokenHash' | 'subject'>>,
  sharedIpSubjects: number,
): { scope: BlockScope; value: string } | undefined {
  const shared = view.distinctSubjectsOnIp >= sharedIpSubjects;
  for (const s of top) {
    let scope: BlockScope = s.scope;
    const network = scope === 'ip' || scope === 'prefix';
    // An authenticated offender is blocked by identity; the network only when the signal is about the network.
    if (who.subject && network && !NETWORK_SIGNALS.has(s.name)) scope = 'subject';
    if ((scope === 'ip' || scope === 'prefix') && shared) {
      if (!who.subject) continue;
      scope = 'subject';
    }
    const value = { ip: who.ip, prefix: who.prefix, token: who.tokenHash, subject: who.subject }[scope];
    if (value) return { scope, value };
  }
  return undefined;
}

/** Signals about the network itself: their blocks stay on the IP or prefix even for an authenticated caller. */
const NETWORK_SIGNALS: ReadonlySet<string> = new Set([
  'invalid-auth',
  'one-shot',
  'volume-ip',
  'volume-prefix',
  'authz-probing',
]);

/** What a block is for: the decision that asked for it. */
export interface BlockRequest {
  readonly scope: BlockScope;
  readonly value: string;
  readonly now: number;
  readonly score: number;
  readonly reason: string;
  readonly settings: ResolvedRouteSettings;
  readonly simulated: boolean;
  readonly decisionId: string;
}

/** Records blocks with escalation; enforced blocks also go to this container's cache and the flag the hot path reads. */
export class Blocker {
  constructor(
    private readonly store: CounterStore,
    private readonly cache: BlockCache,
    private readonly report: {
      blockCreated(record: BlockRecord): void;
      storeFailure(info: { failMode: 'open' | 'closed'; error: string; elapsedMs: number }): void;
    },
  ) {}

  async block(req: BlockRequest): Promise<NonNullable<DecisionRecord['blocked']>> {
    const b = req.settings.block;
    let offences = 1;
    try {
      offences = req.simulated
        ? 1
        : await this.store.recordOffence(req.scope, req.value, Math.floor(req.now), b.memorySeconds);
    } catch {
      // Escalation memory unavailable: block for the base duration rather than not at all.
    }
    const duration = Math.min(b.maxDurationSeconds, b.durationSeconds * b.escalationFactor ** (offences - 1));
    const until = Math.ceil(req.now + duration);
    const record: BlockRecord = {
      scope: req.scope,
      value: req.value,
      createdAt: Math.floor(req.now),
      expiresAt: until,
      score: req.score,
      reason: req.reason,
      offences,
      simulated: req.simulated,
      decisionId: req.decisionId,
      origin: 'engine',
    };
    if (!req.simulated) this.cache.put(`${req.scope}#${req.value}`, until, req.now, req.scope, req.reason);
    try {
      await this.store.putBlock(record);
      this.report.blockCreated(record);
    } catch (error) {
      this.report.storeFailure({
        failMode: req.settings.failMode,
        error: `block write failed: ${String(error)}`,
        elapsedMs: 0,
      });
    }
    return { scope: req.scope, value: req.value, until, simulated: req.simulated };
  }
}
