import { networkPrefix } from '../../lambdas/engine/network';
import type { BlockRecord } from '../../lambdas/store/table-schema';
import type { ReplayDecision, ReplayedRequest } from './run';

/**
 * The enforce-mode answer, counted from the replayed decisions (pure: no I/O). A request counts as refused when
 * enforce mode would have refused it:
 * - `blocked`: the client (its IP, prefix, subject or token) was under a block when it sent the request — whatever
 *   the container that served it knew, and however it would otherwise have been scored;
 * - `block`: this request's own score blocked the client;
 * - `auth`: 401, missing or failed authentication on a route that needs it;
 * - `authz`: 403, the route's `require` refused a valid token;
 * - `deny`: 403, a score in the deny band.
 * Each refused request has one cause: the block's reason, the strongest signal, or the authentication outcome.
 */
export type RefusalKind = 'blocked' | 'block' | 'auth' | 'authz' | 'deny';

export interface Refusal {
  readonly kind: RefusalKind;
  /** What to count it under: `401 missing credentials`, `deny: volume-ip`, `block: invalid-auth`, … */
  readonly cause: string;
  /** For `blocked`: the block it fell under (`ip 203.0.113.7`). */
  readonly blockKey?: string;
}

/** A client as the report names it: the subject when authenticated, else the IP. */
export const clientOf = (d: Pick<ReplayDecision, 'subject' | 'ip'>): string => d.subject ?? d.ip ?? 'unknown';

interface ActiveBlock {
  readonly key: string;
  readonly until: number;
  readonly cause: string;
}

/** The first signal of a block's reason (`volume-ip,cadence` → `volume-ip`). */
const firstReason = (reason: string): string => reason.split(',')[0]!.trim() || reason;

/** The scopes a request can be blocked under, as block keys. */
function keysOf(d: ReplayDecision): string[] {
  const keys: string[] = [];
  if (d.ip) keys.push(`ip ${d.ip}`);
  const prefix = d.ip ? networkPrefix(d.ip) : undefined;
  if (prefix) keys.push(`prefix ${prefix}`);
  if (d.subject) keys.push(`subject ${d.subject}`);
  if (d.tokenHash && d.subject) keys.push(`token ${d.tokenHash}`);
  return keys;
}

/** Tracks block windows as the requests go by; a block starts at the request that triggered it. */
export class BlockWindows {
  private readonly byDecision = new Map<string, BlockRecord[]>();
  private readonly active = new Map<string, ActiveBlock>();

  constructor(blocks: readonly BlockRecord[]) {
    for (const b of blocks) {
      const id = b.decisionId ?? '';
      const list = this.byDecision.get(id) ?? [];
      list.push(b);
      this.byDecision.set(id, list);
    }
  }

  /** The block covering a request at `atMs`, checked before the request's own blocks open. */
  covering(d: ReplayDecision, atMs: number): ActiveBlock | undefined {
    for (const key of keysOf(d)) {
      const b = this.active.get(key);
      if (b && atMs < b.until) return b;
    }
    return undefined;
  }

  /** Opens the blocks this request triggered. */
  open(d: ReplayDecision): void {
    for (const b of this.byDecision.get(d.decisionId) ?? []) {
      const key = `${b.scope} ${b.value}`;
      const until = b.expiresAt * 1000;
      const prior = this.active.get(key);
      if (!prior || prior.until < until) this.active.set(key, { key, until, cause: firstReason(b.reason) });
    }
  }
}

/** Why a decision refused its request, before blocks are considered; undefined when it was served. */
export function decisionRefusal(d: ReplayDecision): Refusal | undefined {
  if (d.effect === 'unauthorized') {
    return {
      kind: 'auth',
      cause:
        d.authFailure === 'missing-credentials' ? '401 missing credentials' : '401 failed authentication',
    };
  }
  if (d.authzFailure) return { kind: 'authz', cause: '403 route authorization' };
  const top = d.signals.find((s) => s.contribution > 0)?.name ?? d.reason;
  if (d.blocked) return { kind: 'block', cause: `block: ${top}` };
  if (d.band === 'block' && d.reason.startsWith('blocked (')) return { kind: 'blocked', cause: 'block' };
  if (d.band === 'deny' || d.band === 'block') return { kind: 'deny', cause: `deny: ${top}` };
  return undefined;
}

/**
 * The refusal of each request, in order. A request under a block is refused by the block (`blocked`, counted under
 * the block's reason) even when the container that served it had not read the block yet.
 */
export function classifyRequests(
  requests: readonly ReplayedRequest[],
  blocks: readonly BlockRecord[],
): { refusals: (Refusal | undefined)[]; unseenBlockRequests: number } {
  const windows = new BlockWindows(blocks);
  let unseenBlockRequests = 0;
  const refusals = requests.map(({ line, decision }) => {
    const own = decisionRefusal(decision);
    const block = windows.covering(decision, line.requestTimeEpoch);
    windows.open(decision);
    if (block && own?.kind !== 'block') {
      if (own?.kind !== 'blocked') unseenBlockRequests += 1;
      return { kind: 'blocked' as const, cause: `block: ${block.cause}`, blockKey: block.key };
    }
    return own;
  });
  return { refusals, unseenBlockRequests };
}
