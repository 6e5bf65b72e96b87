import { randomUUID } from 'node:crypto';
import { identityContext } from '../authorizer/identity-context';
import { authzDenied, tokenDecision } from '../authorizer/identity-only-decider';
import type { AuthorizerRequest, AuthResult, Decider, Decision, Identity } from '../authorizer/types';
import { authorizeRequest } from '../authz/authorize-request';
import type { AuthzFailure, AuthzVerdict } from '../authz/route-authz';
import type { ResolvedRouteSettings } from '../policy/defaults';
import type { Policy } from '../policy/policy';
import { routeMatches } from '../policy/route-match';
import type { SignalName } from '../policy/schema';
import { tokenHash as hashToken } from '../shared/token-hash';
import { type BlockRecord, type BlockScope, COUNTER_SK, counterKey } from '../store/table-schema';
import {
  type BucketKind,
  bucketAttr,
  distinctCount,
  epochOf,
  type Item,
  num,
  setAttr,
  staleAttributes,
  UpdateBuilder,
  type WindowCounts,
  windowCounts,
} from './counter-layout';
import { automationFingerprint } from './detectors/automation';
import { findInjections } from './detectors/malicious-input';
import { BlockCache, LocalCounters, SurgeTracker } from './local-state';
import { Lru } from './lru';
import { fnv1a, networkPrefix } from './network';
import { type CounterStore, isStoreUnavailable } from './ports';
import {
  type Band,
  bandFor,
  type CounterView,
  combineScore,
  evaluateSignals,
  type RequestFeatures,
  type SignalResult,
} from './signals';
import { sketchSlot } from './sketch';

/** One structured line per decision (never a raw token). */
export interface DecisionRecord {
  readonly decisionId: string;
  /** API Gateway's request id, to join the decision with the access log. */
  readonly requestId: string;
  readonly route: string;
  readonly method: string;
  readonly ip: string | undefined;
  readonly subject: string | undefined;
  readonly tokenHash: string | undefined;
  readonly mode: 'enforce' | 'shadow';
  readonly band: Band;
  readonly score: number;
  /** What the caller got: allow, deny (403), unauthorized (401). */
  readonly effect: Decision['effect'];
  readonly signals: readonly Pick<
    SignalResult,
    'name' | 'contribution' | 'observed' | 'threshold' | 'reason'
  >[];
  readonly reason: string;
  readonly blocked?: {
    readonly scope: BlockScope;
    readonly value: string;
    readonly until: number;
    readonly simulated: boolean;
  };
  readonly failOpen?: boolean;
  readonly authFailure?: string;
  /** Route authorization refused a valid token (403): `require` not met. */
  readonly authzFailure?: AuthzFailure;
  readonly latencyMs: number;
}

/** Where the engine reports (Powertools Logger/Metrics in the Lambda; a collector in tests and the simulator). */
export interface EngineTelemetry {
  decision(record: DecisionRecord): void;
  storeFailure(info: {
    readonly failMode: 'open' | 'closed';
    readonly error: string;
    readonly elapsedMs: number;
  }): void;
  blockCreated(record: BlockRecord): void;
  underAttack(engaged: boolean): void;
}

export interface RiskEngineOptions {
  readonly policy: Policy;
  readonly store: CounterStore;
  readonly telemetry?: EngineTelemetry;
  /**
   * Budget for the one counting round trip; past it the route's fail mode applies.
   * @default 350
   */
  readonly storeTimeoutMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

const NOOP_TELEMETRY: EngineTelemetry = {
  decision: () => {},
  storeFailure: () => {},
  blockCreated: () => {},
  underAttack: () => {},
};

const MAX_TRACKED_IDS_PER_REQUEST = 4;
/**
 * Counter items live two days past their last write: long enough that a block flag on them outlives the block
 * (see `keepFlagAlive` for longer blocks), short enough that idle clients' items go away. Stale buckets inside a
 * live item are removed by later writes, so a long-lived item stays small.
 */
export const COUNTER_TTL_SECONDS = 2 * 86_400;
const ONE_SHOT_AGE_SECONDS = 30;
/**
 * How often (event seconds) a container writes a client's coalesced counts and refreshes its snapshot of the shared
 * items, and after how many pending requests it writes sooner. Between syncs a warm container decides from its own
 * counts (floods land on warm containers) at no I/O cost; other containers see the counts within this delay.
 */
export const SYNC_SECONDS = 10;
export const MAX_PENDING = 20;
const MAX_SYNC_KEYS = 50_000;

interface SyncState {
  pending: UpdateBuilder;
  pendingCount: number;
  firstPendingAt: number;
  lastSyncAt: number;
  item: Item | undefined;
  /** `item` with `pending` applied (what the decisions between syncs read); undefined until first needed. */
  view: Record<string, unknown> | undefined;
  reads: ReadonlyMap<string, Item>;
  readKeys: string;
}

/** Numeric ids in path parameters (or bare numeric path segments): the input of the enumeration signal. */
function numericIds(request: AuthorizerRequest): number[] {
  const values = Object.values(request.pathParameters);
  const source = values.length > 0 ? values : request.path.split('/');
  const ids: number[] = [];
  for (const v of source) {
    if (/^\d{1,15}$/.test(v)) ids.push(Number(v));
    if (ids.length >= MAX_TRACKED_IDS_PER_REQUEST) break;
  }
  return ids;
}

const journeyMark = (pattern: string): string => `j_${fnv1a(pattern).toString(36)}`;

/**
 * The risk engine: counts the request in the shared store and in this container, evaluates the signals, and answers
 * with an explained decision. Implements the authorizers' {@link Decider}.
 */
export class RiskEngine implements Decider {
  private readonly policy: Policy;
  private readonly store: CounterStore;
  private readonly telemetry: EngineTelemetry;
  private readonly storeTimeoutMs: number;
  private readonly clock: () => number;
  private readonly local: LocalCounters;
  private readonly blocks = new BlockCache();
  private readonly surge: SurgeTracker;
  /** Stale attribute names seen in the last response per item, removed by the next write. */
  private readonly staleByKey = new Map<string, string[]>();
  private wasUnderAttack = false;
  /** Per-client sync state; the stalest client is dropped past MAX_SYNC_KEYS. */
  private readonly syncs = new Lru<SyncState>(MAX_SYNC_KEYS);

  constructor(options: RiskEngineOptions) {
    this.policy = options.policy;
    this.store = options.store;
    this.telemetry = options.telemetry ?? NOOP_TELEMETRY;
    this.storeTimeoutMs = options.storeTimeoutMs ?? 350;
    this.clock = options.clock ?? Date.now;
    this.local = new LocalCounters(this.policy.windows.longSeconds);
    const defaults = this.policy.settingsFor('');
    this.surge = new SurgeTracker(
      () => defaults.thresholds.surgeFactor,
      () => defaults.thresholds.surgeMinPerMinute,
    );
  }

  /** The effective mode: GATEWARDEN_MODE (passed in by the caller through the policy) or the policy's own. */
  get mode(): 'enforce' | 'shadow' {
    return this.policy.mode;
  }

  async decide(request: AuthorizerRequest, auth: AuthResult): Promise<Decision> {
    const started = performance.now();
    // API Gateway's request id names the decision (one id to quote from a 403 body, the logs and the context).
    const decisionId = request.requestId || randomUUID();
    const now =
      (Number.isFinite(request.timeMs) && request.timeMs > 0 ? request.timeMs : this.clock()) / 1000;
    const settings = this.policy.settingsFor(request.route);
    const ip = request.clientIp;
    const prefix = ip ? networkPrefix(ip) : undefined;
    const identity = auth.status === 'authenticated' ? auth.identity : undefined;
    const tokenHash = identity?.tokenHash ?? (request.rawToken ? hashToken(request.rawToken) : undefined);
    const subject = identity?.subject;
    const shadow = this.policy.mode === 'shadow';

    const base = {
      decisionId,
      requestId: request.requestId,
      route: request.route,
      method: request.method,
      ip,
      subject,
      tokenHash,
      mode: this.policy.mode,
    } as const;
    const finish = (record: Omit<DecisionRecord, keyof typeof base | 'latencyMs'>): void => {
      this.telemetry.decision({
        ...base,
        ...record,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
      });
    };

    // TOKEN events carry no IP, headers or time: identity checks only.
    if (request.kind === 'rest-token') {
      const d = tokenDecision(this.policy, request, auth, decisionId);
      const authzFailure = d.effect === 'deny' ? d.authzFailure : undefined;
      finish({
        band: authzFailure ? 'deny' : 'allow',
        score: 0,
        effect: d.effect,
        signals: [],
        reason: authzFailure ? `authorization failed: ${authzFailure}` : 'token event: identity only',
        ...(authzFailure ? { authzFailure } : {}),
      });
      return d;
    }

    // 1. Blocks first: a blocked client costs no counting at all.
    if (!shadow) {
      const cached = this.cachedBlock(now, ip, prefix, tokenHash, subject);
      if (cached) {
        // Keep watching a blocked client in memory (no I/O): when the block expires, a bot that never stopped is
        // still recognised by its timing, sweep and volume, and is blocked again at once, with escalation.
        const watchKey = subject ? `sub#${subject}` : `ip#${ip ?? '?'}`;
        this.local.add(watchKey, 'r', now);
        this.local.arrival(watchKey, now);
        for (const id of numericIds(request)) this.local.addId(`${watchKey}|${request.route}`, id, now);
        const retryAfter = Math.max(1, Math.ceil(cached.until - now));
        finish({
          band: 'block',
          score: 100,
          effect: 'deny',
          signals: [],
          reason: `blocked (${cached.scope}): ${cached.reason}`,
        });
        return deny(subject ?? 'anonymous', { decisionId, riskScore: 100, riskBand: 'block', retryAfter });
      }
    }

    // 2. Authentication outcome. Failed and missing credentials are counted against the IP (stuffing, forgery).
    const needsCredentials =
      settings.access === 'protected' ||
      auth.status === 'failed' ||
      // A route that requires scopes, groups or ownership cannot be called anonymously, even when public.
      this.policy.requirementFor(request.route) !== undefined;
    if (auth.status !== 'authenticated' && needsCredentials) {
      await this.countFailure(request, now, ip, prefix, tokenHash, settings, decisionId);
      finish({
        band: 'allow',
        score: 0,
        effect: 'unauthorized',
        signals: [],
        reason: auth.status === 'failed' ? `authentication failed: ${auth.reason}` : 'missing credentials',
        authFailure: auth.status === 'failed' ? auth.reason : 'missing-credentials',
      });
      return { effect: 'unauthorized' };
    }

    const baseContext = {
      decisionId,
      sub: subject ?? '',
      scope: identity?.scope ?? '',
      ...(identity ? identityContext(identity) : {}),
      tokenHash: tokenHash && identity ? tokenHash : '',
    };
    const principal = subject ?? 'anonymous';

    // 2b. Route authorization (`require`): a valid token that may not call this route gets 403, never relaxed by
    //     shadow mode or allow-lists (like authentication). Each refusal counts towards `authz-probing`.
    if (identity) {
      const verdict = authorizeRequest(this.policy, request, identity);
      if (!verdict.ok) {
        const probing = await this.countAuthzFailure(
          identity,
          verdict,
          now,
          ip,
          prefix,
          tokenHash,
          settings,
          decisionId,
        );
        finish({
          band: probing.blocked ? 'block' : 'deny',
          score: probing.score,
          effect: 'deny',
          signals: probing.signals,
          reason: `authorization failed: ${verdict.reason}`,
          authzFailure: verdict.reason,
          ...(probing.blocked ? { blocked: probing.blocked } : {}),
        });
        const band = probing.blocked ? 'block' : 'deny';
        return authzDenied(
          principal,
          { ...baseContext, riskScore: probing.score, riskBand: band },
          verdict.reason,
        );
      }
    }

    if (
      !settings.scoring ||
      this.policy.isAllowlistedIp(ip) ||
      this.policy.isAllowlistedSubject(subject) ||
      this.policy.isAllowlistedClient(identity?.clientId)
    ) {
      finish({
        band: 'allow',
        score: 0,
        effect: 'allow',
        signals: [],
        reason: settings.scoring ? 'allow-listed' : 'scoring off',
      });
      return {
        effect: 'allow',
        principalId: principal,
        context: { ...baseContext, riskScore: 0, riskBand: 'allow' },
      };
    }

    // 3. Features and local counting.
    const clientClass = this.policy.clientClasses.find(
      (c) =>
        (identity?.clientId !== undefined && c.clientIds.has(identity.clientId)) ||
        (request.clientCert !== undefined && c.certificateSubjects.has(request.clientCert.subjectDN)),
    );
    const isHead = request.method === 'HEAD';
    const injections = findInjections([
      request.path,
      ...Object.entries(request.query).flat(),
      ...this.policy.inspectHeaders.map((h) => request.headers[h] ?? ''),
    ]);
    const ids = numericIds(request);
    const fresh = this.surge.record(ip, now);
    if (this.surge.underAttack !== this.wasUnderAttack) {
      this.wasUnderAttack = this.surge.underAttack;
      this.telemetry.underAttack(this.wasUnderAttack);
    }
    void fresh;

    const idKey = subject ? `sub#${subject}` : `ip#${ip ?? '?'}`;
    const ipKey = `ip#${ip ?? '?'}`;
    const prefixKey = `prefix#${prefix ?? '?'}`;
    const tokKey = `token#${tokenHash ?? '?'}`;
    const clientKey = identity?.clientId ? `client#${identity.clientId}` : undefined;
    // Per IP, anonymous requests (`r`) and authenticated ones (`a`) are counted apart: a public route's tight limit
    // (login) judges the anonymous attempts, not the same person's authenticated browsing.
    this.local.add(ipKey, subject ? 'a' : 'r', now);
    this.local.add(prefixKey, 'r', now);
    if (subject) {
      this.local.add(idKey, 'r', now);
      if (ip) this.local.see(idKey, 'ips', ip, now);
      if (ip) this.local.see(ipKey, 'subs', subject, now);
      if (tokenHash) {
        this.local.add(tokKey, 'r', now);
        if (ip) this.local.see(tokKey, 'ips', ip, now);
        this.local.see(prefixKey, 'toks', tokenHash, now);
      }
    }
    if (clientKey) this.local.add(clientKey, 'r', now);
    if (isHead) this.local.add(idKey, 'h', now);
    if (injections.length > 0) this.local.add(idKey, 'i', now);
    for (const id of ids) this.local.addId(`${idKey}|${request.route}`, id, now);
    this.local.arrival(idKey, now);
    for (const j of this.policy.journeys) {
      if (routeMatches(j.after, request.route)) this.local.mark(idKey, journeyMark(j.afterPattern), now);
    }

    // 4. Count. The identity's item is updated (and the IP, prefix and token items read) in one round trip, but a
    //    container coalesces a client's requests: between syncs (every SYNC_SECONDS or MAX_PENDING requests) it
    //    decides from the last snapshot plus its own pending counts, and the next sync writes them with one ADD n.
    const windowLong = this.policy.windows.longSeconds;
    const ttl = Math.ceil(now) + Math.max(windowLong, COUNTER_TTL_SECONDS);
    const primary = subject ? counterKey('sub', subject) : counterKey('ip', ip ?? 'unknown');
    const primaryId = primary.pk;
    const minute = Math.floor(now / 60);
    const epoch = epochOf(now);
    const reads: { pk: string; sk: string }[] = [];
    if (subject && ip) reads.push(counterKey('ip', ip));
    if (prefix) reads.push(counterKey('prefix', prefix));
    // The token's item only ever carries a block flag (counts live on the subject's item).
    if (subject && tokenHash) reads.push(counterKey('token', tokenHash));
    const readKeys = reads.map((r) => r.pk).join('|');

    const sync = this.syncState(primaryId, primary.sk, now);
    // This request's counts, added to the pending ones (and to the decision view, when one is kept).
    const upd = new UpdateBuilder(primary.pk, primary.sk);
    upd.add(bucketAttr('r', minute), 1);
    if (isHead) upd.add(bucketAttr('h', minute), 1);
    if (injections.length > 0) upd.add(bucketAttr('i', minute), 1);
    if (subject && ip) upd.addToSet(setAttr('ips', epoch), sketchSlot(ip));
    for (const id of ids) upd.addToSet(setAttr('ids', epoch), sketchSlot(`${request.route}|${id}`));
    for (const j of this.policy.journeys) {
      if (routeMatches(j.after, request.route)) upd.set(journeyMark(j.afterPattern), Math.floor(now));
    }
    sync.pending.mergeFrom(upd, { newer: true });
    sync.pendingCount += 1;
    const mustSync =
      now - sync.lastSyncAt >= SYNC_SECONDS ||
      now < sync.lastSyncAt ||
      sync.readKeys !== readKeys ||
      sync.pendingCount >= MAX_PENDING;

    let updated: Item | undefined;
    let readItems: ReadonlyMap<string, Item>;
    if (mustSync) {
      // Take the pending counts out before awaiting, so concurrent requests never write them twice.
      const batch = sync.pending;
      sync.pending = new UpdateBuilder(primary.pk, primary.sk);
      sync.pendingCount = 0;
      sync.view = undefined;
      batch
        .setIfNotExists('firstSeen', Math.floor(sync.firstPendingAt))
        .remove(this.staleByKey.get(primaryId) ?? []);
      sync.firstPendingAt = now;
      const storeStarted = performance.now();
      try {
        const out = await this.exchangeWithinBudget(batch.build(ttl), reads);
        updated = out.updated;
        readItems = out.read;
        this.noteStale(primaryId, out.updated, now);
        sync.item = out.updated;
        // A view built by a concurrent decision during the round trip predates this item.
        sync.view = undefined;
        sync.reads = out.read;
        sync.readKeys = readKeys;
        sync.lastSyncAt = now;
      } catch (error) {
        // Keep the counts for the next sync; apply the route's fail mode now.
        sync.pending.mergeFrom(batch);
        sync.view = undefined;
        const elapsedMs = Math.round(performance.now() - storeStarted);
        const message = isStoreUnavailable(error) ? error.message : String(error);
        this.telemetry.storeFailure({ failMode: settings.failMode, error: message, elapsedMs });
        if (settings.failMode === 'closed' && !shadow) {
          finish({
            band: 'deny',
            score: 0,
            effect: 'deny',
            signals: [],
            reason: 'counter store unavailable: fail closed',
          });
          return deny(principal, { ...baseContext, riskScore: 0, riskBand: 'deny', failMode: 'closed' });
        }
        finish({
          band: 'allow',
          score: 0,
          effect: 'allow',
          signals: [],
          reason: 'counter store unavailable: fail open',
          failOpen: true,
        });
        return {
          effect: 'allow',
          principalId: principal,
          context: { ...baseContext, riskScore: 0, riskBand: 'allow', failOpen: true },
        };
      }
    } else {
      // The snapshot with every pending count applied: built once after a sync, then kept up to date in place.
      if (sync.view) upd.applyTo(sync.view);
      else sync.view = sync.pending.overlay(sync.item);
      updated = sync.view;
      readItems = sync.reads;
    }
    const ipItem = subject ? (ip ? readItems.get(counterKey('ip', ip).pk) : undefined) : updated;
    const prefixItem = prefix ? readItems.get(counterKey('prefix', prefix).pk) : undefined;
    const tokenItem = subject && tokenHash ? readItems.get(counterKey('token', tokenHash).pk) : undefined;

    // 5. Blocks recorded by other containers (denormalised onto the items this round trip touched).
    if (!shadow) {
      const found = this.sharedBlock(
        now,
        updated,
        ipItem,
        prefixItem,
        tokenItem,
        subject,
        ip,
        prefix,
        tokenHash,
      );
      if (found) {
        finish({
          band: 'block',
          score: 100,
          effect: 'deny',
          signals: [],
          reason: `blocked (${found.scope})`,
        });
        return deny(principal, {
          ...baseContext,
          riskScore: 100,
          riskBand: 'block',
          retryAfter: Math.max(1, Math.ceil(found.until - now)),
        });
      }
    }

    // 6. The view: shared counts and this container's, whichever saw more (never both: no double counting).
    const short = this.policy.windows.shortSeconds;
    const idItem = updated;
    const max = Math.max;
    const idCounts = this.counts(idItem, idKey, now);
    const ipCounts = ipItem === idItem && ipKey === idKey ? idCounts : this.counts(ipItem, ipKey, now);
    const prefixCounts = this.counts(prefixItem, prefixKey, now);
    // Per IP, authenticated requests (`a`) add to the anonymous ones only when the caller is authenticated.
    const ipVolume = (w: Readonly<Record<BucketKind, number>>) => w.r + (subject !== undefined ? w.a : 0);
    const idFirstSeen = num(idItem?.firstSeen) || this.local.firstSeen(idKey) || now;
    const known = this.surge.surgeStart === undefined || idFirstSeen < this.surge.surgeStart;
    const idStats = this.local.idStats(`${idKey}|${request.route}`, now);
    const cad = this.local.cadence(idKey);
    const violations = this.policy.journeys
      .filter((j) => routeMatches(j.route, request.route))
      .filter((j) => {
        const mark = journeyMark(j.afterPattern);
        const at = max(num(idItem?.[mark]), this.local.markAt(idKey, mark) ?? 0);
        return !(at > 0 && now - at <= j.withinSeconds);
      })
      .map((j) => `${j.afterPattern} before ${j.routePattern}`);
    const view: CounterView = {
      authenticated: subject !== undefined,
      ipShort: ipVolume(ipCounts.short),
      ipLong: ipVolume(ipCounts.long),
      prefixShort: prefixCounts.short.r,
      prefixLong: prefixCounts.long.r,
      subjectShort: subject ? idCounts.short.r : 0,
      subjectLong: subject ? idCounts.long.r : 0,
      tokenShort: tokenHash ? this.local.count(tokKey, 'r', now, short) : 0,
      clientShort: clientKey ? this.local.count(clientKey, 'r', now, short) : 0,
      ipFailures: ipCounts.long.f,
      prefixFailures: prefixCounts.long.f,
      subjectAuthzFailures: subject ? idCounts.long.z : 0,
      ipAuthzFailures: ipCounts.long.z,
      distinctIpsForIdentity: subject
        ? max(
            distinctCount(idItem, 'ips', now),
            this.local.distinct(idKey, 'ips', now),
            this.local.distinct(tokKey, 'ips', now),
          )
        : 0,
      distinctSubjectsOnIp: max(distinctCount(ipItem, 'sub', now), this.local.distinct(ipKey, 'subs', now)),
      oneShotTokensOnPrefix: this.local.oneShot(prefixKey, 'toks', now, ONE_SHOT_AGE_SECONDS),
      identityRequests: idCounts.long.r,
      identityHeads: idCounts.long.h,
      identityErrors: idCounts.long.x,
      identityInjections: idCounts.long.i,
      // Density needs the ids themselves, which only this container holds; the shared sketch cannot say it.
      distinctIds: idStats.distinct,
      idDensity: idStats.density,
      cadenceVariation: cad.variation,
      cadenceSamples: cad.samples,
      underAttack: this.surge.underAttack,
      knownClient: known,
    };
    const features: RequestFeatures = {
      method: request.method,
      injections,
      automation: settings.browserFacing ? automationFingerprint(request.headers) : undefined,
      journeyViolations: violations,
      volumeMultiplier: clientClass?.volumeMultiplier ?? 1,
      ignoreSignals: clientClass?.ignoreSignals ?? new Set<SignalName>(),
    };

    // 7. Score and band.
    const signals = evaluateSignals(view, features, settings);
    const score = combineScore(signals);
    const band = bandFor(score, settings.bands);
    const top = [...signals].sort((a, b) => b.contribution - a.contribution);
    const explained = top.map(({ name, contribution, observed, threshold, reason }) => ({
      name,
      contribution: Math.round(contribution),
      observed,
      threshold,
      reason,
    }));
    const reason = top.length > 0 ? top.map((s) => s.name).join(',') : 'no signal';
    const riskContext = {
      ...baseContext,
      riskScore: score,
      riskBand: band,
      riskSignals: top.map((s) => s.name).join(','),
    };

    let blocked: DecisionRecord['blocked'];
    if (band === 'block') {
      const target = this.blockTarget(top, view, { ip, prefix, tokenHash, subject });
      if (target) {
        blocked = await this.block(
          target.scope,
          target.value,
          now,
          score,
          reason,
          settings,
          shadow,
          decisionId,
        );
      }
    }

    const rate = top.some((s) => s.rate);
    const retryAfter =
      band === 'block' && blocked ? Math.max(1, Math.ceil(blocked.until - now)) : rate ? short : undefined;
    if ((band === 'deny' || band === 'block') && !shadow) {
      finish({ band, score, effect: 'deny', signals: explained, reason, ...(blocked ? { blocked } : {}) });
      return deny(principal, { ...riskContext, ...(retryAfter ? { retryAfter } : {}) });
    }
    finish({ band, score, effect: 'allow', signals: explained, reason, ...(blocked ? { blocked } : {}) });
    return {
      effect: 'allow',
      principalId: principal,
      context: {
        ...riskContext,
        ...(shadow && (band === 'deny' || band === 'block') ? { shadow: true } : {}),
      },
    };
  }

  private syncState(pk: string, sk: string, now: number): SyncState {
    let st = this.syncs.get(pk);
    if (st) return st;
    st = {
      pending: new UpdateBuilder(pk, sk),
      pendingCount: 0,
      firstPendingAt: now,
      lastSyncAt: Number.NEGATIVE_INFINITY,
      item: undefined,
      view: undefined,
      reads: new Map(),
      readKeys: '',
    };
    this.syncs.set(pk, st);
    return st;
  }

  /** Writes every pending count now (tests, and a container about to be retired). */
  async flush(): Promise<void> {
    const updates = [];
    for (const [pk, st] of this.syncs.entries()) {
      if (st.pendingCount === 0) continue;
      const ttl =
        Math.ceil(st.firstPendingAt) + Math.max(this.policy.windows.longSeconds, COUNTER_TTL_SECONDS);
      updates.push(st.pending.setIfNotExists('firstSeen', Math.floor(st.firstPendingAt)).build(ttl));
      st.pending = new UpdateBuilder(pk, st.pending.sk);
      st.pendingCount = 0;
    }
    await this.store.applyUpdates(updates);
  }

  private cachedBlock(
    now: number,
    ip: string | undefined,
    prefix: string | undefined,
    tokenHash: string | undefined,
    subject: string | undefined,
  ) {
    // Most containers hold no block at all: no keys to build.
    if (this.blocks.size === 0) return undefined;
    const keys = [
      ip && `ip#${ip}`,
      prefix && `prefix#${prefix}`,
      tokenHash && `token#${tokenHash}`,
      subject && `subject#${subject}`,
    ];
    for (const k of keys) {
      if (!k) continue;
      const hit = this.blocks.get(k, now);
      if (hit) return hit;
    }
    return undefined;
  }

  /** Reads `blockedUntil` flags (and token flags on the subject item) from the items of this round trip. */
  private sharedBlock(
    now: number,
    idItem: Item | undefined,
    ipItem: Item | undefined,
    prefixItem: Item | undefined,
    tokenItem: Item | undefined,
    subject: string | undefined,
    ip: string | undefined,
    prefix: string | undefined,
    tokenHash: string | undefined,
  ): { scope: BlockScope; until: number } | undefined {
    const candidates: [BlockScope, string | undefined, number][] = [
      ['ip', ip, num(ipItem?.blockedUntil)],
      ['prefix', prefix, num(prefixItem?.blockedUntil)],
      ['subject', subject, subject ? num(idItem?.blockedUntil) : 0],
      ['token', tokenHash, num(tokenItem?.blockedUntil)],
    ];
    for (const [scope, value, until] of candidates) {
      if (value && until > now) {
        this.blocks.put(`${scope}#${value}`, until, now, scope, 'recorded block');
        this.keepFlagAlive(idItem, until);
        return { scope, until };
      }
    }
    return undefined;
  }

  /**
   * The counting write that revealed a block also reset the item's TTL to the counter horizon; restore it to the
   * block's end so the flag outlives TTL deletion. Rare: once per container per blocked client.
   */
  private keepFlagAlive(item: Item | undefined, until: number): void {
    if (!item || typeof item.pk !== 'string' || typeof item.sk !== 'string') return;
    if (num(item.blockedUntil) <= num(item.expiresAt)) return;
    const fix = new UpdateBuilder(item.pk, item.sk).build(Math.ceil(num(item.blockedUntil)));
    void until;
    this.store.applyUpdates([fix]).catch(() => {
      // Best effort: the block record itself and the WAF updater still hold the block.
    });
  }

  /**
   * Where a block lands. Fairness: an IP that carries several well-behaved subjects (office or carrier NAT) is never
   * IP-blocked; the offender behind it gets a token or subject block instead.
   */
  private blockTarget(
    top: readonly SignalResult[],
    view: CounterView,
    ids: {
      ip?: string | undefined;
      prefix?: string | undefined;
      tokenHash?: string | undefined;
      subject?: string | undefined;
    },
  ): { scope: BlockScope; value: string } | undefined {
    const shared = view.distinctSubjectsOnIp >= this.policy.settingsFor('').thresholds.sharedIpSubjects;
    for (const s of top) {
      let scope: BlockScope = s.scope;
      if (
        ids.subject &&
        (scope === 'ip' || scope === 'prefix') &&
        s.name !== 'invalid-auth' &&
        s.name !== 'one-shot' &&
        s.name !== 'authz-probing'
      ) {
        // An authenticated offender is blocked by identity; the network only when the signal is about the network.
        if (s.name !== 'volume-ip' && s.name !== 'volume-prefix') scope = 'subject';
      }
      if ((scope === 'ip' || scope === 'prefix') && shared) scope = ids.subject ? 'subject' : scope;
      if ((scope === 'ip' || scope === 'prefix') && shared) continue;
      const value =
        scope === 'ip'
          ? ids.ip
          : scope === 'prefix'
            ? ids.prefix
            : scope === 'token'
              ? ids.tokenHash
              : ids.subject;
      if (value) return { scope, value };
    }
    return undefined;
  }

  /** Records a block with escalation; enforced blocks also set the flag the hot path reads. */
  private async block(
    scope: BlockScope,
    value: string,
    now: number,
    score: number,
    reason: string,
    settings: ResolvedRouteSettings,
    simulated: boolean,
    decisionId: string,
  ): Promise<DecisionRecord['blocked']> {
    const b = settings.block;
    let offences = 1;
    try {
      offences = simulated
        ? 1
        : await this.store.recordOffence(scope, value, Math.floor(now), b.memorySeconds);
    } catch {
      // Escalation memory unavailable: block for the base duration rather than not at all.
    }
    const duration = Math.min(b.maxDurationSeconds, b.durationSeconds * b.escalationFactor ** (offences - 1));
    const until = Math.ceil(now + duration);
    const record: BlockRecord = {
      scope,
      value,
      createdAt: Math.floor(now),
      expiresAt: until,
      score,
      reason,
      offences,
      simulated,
      decisionId,
      origin: 'engine',
    };
    if (!simulated) this.blocks.put(`${scope}#${value}`, until, now, scope, reason);
    try {
      await this.store.putBlock(record);
      this.telemetry.blockCreated(record);
    } catch (error) {
      this.telemetry.storeFailure({
        failMode: settings.failMode,
        error: `block write failed: ${String(error)}`,
        elapsedMs: 0,
      });
    }
    return { scope, value, until, simulated };
  }

  /** Counts a failed or missing authentication against the IP (one write) and blocks floods of them. */
  /** Remembers which attributes of an item the next write to it should remove (read once per sync). */
  private noteStale(pk: string, item: Item | undefined, now: number): void {
    const stale = staleAttributes(item, now, this.policy.windows.longSeconds);
    if (stale.length > 0) this.staleByKey.set(pk, stale);
    else this.staleByKey.delete(pk);
    if (this.staleByKey.size > 10_000) this.staleByKey.clear();
  }

  /**
   * Short- and long-window counts of every kind for one scope: per kind and window, whichever saw more, the shared
   * item or this container (never their sum: the container's own requests are in both).
   */
  private counts(item: Item | undefined, key: string, now: number): WindowCounts {
    const { shortSeconds, longSeconds } = this.policy.windows;
    const shared = windowCounts(item, now, shortSeconds, longSeconds);
    const local = this.local.windowCounts(key, now, shortSeconds, longSeconds);
    return { short: maxOfKinds(shared.short, local.short), long: maxOfKinds(shared.long, local.long) };
  }

  /**
   * One counting round trip within the store budget. A timer cleared on completion, not `AbortSignal.timeout`:
   * that one fires (and builds an exception) for every call, even long after the call succeeded.
   */
  private async exchangeWithinBudget(
    update: Parameters<CounterStore['exchange']>[0],
    reads: Parameters<CounterStore['exchange']>[1],
  ): ReturnType<CounterStore['exchange']> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('counter store budget exceeded', 'TimeoutError')),
      this.storeTimeoutMs,
    );
    try {
      return await this.store.exchange(update, reads, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private async countFailure(
    request: AuthorizerRequest,
    now: number,
    ip: string | undefined,
    prefix: string | undefined,
    tokenHash: string | undefined,
    settings: ResolvedRouteSettings,
    decisionId: string,
  ): Promise<void> {
    if (!ip || this.policy.isAllowlistedIp(ip)) return;
    const ipKey = `ip#${ip}`;
    const prefixKey = `prefix#${prefix ?? '?'}`;
    this.local.add(ipKey, 'r', now);
    this.local.add(ipKey, 'f', now);
    this.local.add(prefixKey, 'r', now);
    this.local.add(prefixKey, 'f', now);
    if (tokenHash) this.local.see(prefixKey, 'toks', tokenHash, now);
    const windowLong = this.policy.windows.longSeconds;
    const key = counterKey('ip', ip);
    const minute = Math.floor(now / 60);
    const upd = new UpdateBuilder(key.pk, COUNTER_SK)
      .add(bucketAttr('r', minute), 1)
      .add(bucketAttr('f', minute), 1)
      .setIfNotExists('firstSeen', Math.floor(now))
      .remove(this.staleByKey.get(key.pk) ?? []);
    if (tokenHash) upd.addToSet(setAttr('tok', epochOf(now)), sketchSlot(tokenHash));
    let ipItem: Item | undefined;
    let prefixItem: Item | undefined;
    try {
      const out = await this.exchangeWithinBudget(
        upd.build(Math.ceil(now) + Math.max(windowLong, COUNTER_TTL_SECONDS)),
        prefix ? [counterKey('prefix', prefix)] : [],
      );
      ipItem = out.updated;
      this.noteStale(key.pk, out.updated, now);
      prefixItem = prefix ? out.read.get(counterKey('prefix', prefix).pk) : undefined;
      if (this.policy.mode !== 'shadow') {
        this.sharedBlock(now, ipItem, ipItem, prefixItem, undefined, undefined, ip, prefix, undefined);
      }
    } catch (error) {
      // Authentication already failed: the answer is 401 whatever the store says.
      this.telemetry.storeFailure({ failMode: settings.failMode, error: String(error), elapsedMs: 0 });
    }
    const view: CounterView = {
      ...EMPTY_VIEW,
      ipFailures: this.counts(ipItem, ipKey, now).long.f,
      prefixFailures: this.counts(prefixItem, prefixKey, now).long.f,
      distinctSubjectsOnIp: Math.max(
        distinctCount(ipItem, 'sub', now),
        this.local.distinct(ipKey, 'subs', now),
      ),
    };
    const signals = evaluateSignals(view, NO_FEATURES, settings).filter((s) => s.name === 'invalid-auth');
    const score = combineScore(signals);
    if (bandFor(score, settings.bands) === 'block') {
      const target = this.blockTarget(signals, view, { ip, prefix });
      if (target) {
        await this.block(
          target.scope,
          target.value,
          now,
          score,
          'invalid-auth',
          settings,
          this.policy.mode === 'shadow',
          decisionId,
        );
      }
    }
    void request;
  }

  /**
   * Counts a route-authorization refusal against the subject and the IP (two item updates, in parallel; only on
   * refusals, which well-behaved clients rarely produce) and blocks when `authz-probing` reaches the block band, as
   * {@link countFailure} does for `invalid-auth`. The answer is 403 whatever the store says.
   */
  private async countAuthzFailure(
    identity: Identity,
    verdict: Extract<AuthzVerdict, { ok: false }>,
    now: number,
    ip: string | undefined,
    prefix: string | undefined,
    tokenHash: string | undefined,
    settings: ResolvedRouteSettings,
    decisionId: string,
  ): Promise<{ score: number; signals: DecisionRecord['signals']; blocked?: DecisionRecord['blocked'] }> {
    const subject = identity.subject;
    const idKey = `sub#${subject}`;
    const ipKey = `ip#${ip ?? '?'}`;
    const countIp = ip !== undefined && !this.policy.isAllowlistedIp(ip);
    this.local.add(idKey, 'z', now);
    if (countIp) this.local.add(ipKey, 'z', now);
    const ttl = Math.ceil(now) + Math.max(this.policy.windows.longSeconds, COUNTER_TTL_SECONDS);
    const minute = Math.floor(now / 60);
    const update = (key: { pk: string; sk: string }) =>
      new UpdateBuilder(key.pk, key.sk)
        .add(bucketAttr('z', minute), 1)
        .setIfNotExists('firstSeen', Math.floor(now))
        .build(ttl);
    let subjectItem: Item | undefined;
    let ipItem: Item | undefined;
    try {
      const [fromSubject, fromIp] = await Promise.all([
        this.exchangeWithinBudget(update(counterKey('sub', subject)), []),
        countIp ? this.exchangeWithinBudget(update(counterKey('ip', ip!)), []) : undefined,
      ]);
      subjectItem = fromSubject.updated;
      ipItem = fromIp?.updated;
    } catch (error) {
      this.telemetry.storeFailure({ failMode: settings.failMode, error: String(error), elapsedMs: 0 });
    }
    const view: CounterView = {
      ...EMPTY_VIEW,
      authenticated: true,
      subjectAuthzFailures: this.counts(subjectItem, idKey, now).long.z,
      ipAuthzFailures: countIp ? this.counts(ipItem, ipKey, now).long.z : 0,
      distinctSubjectsOnIp: Math.max(
        distinctCount(ipItem, 'sub', now),
        this.local.distinct(ipKey, 'subs', now),
      ),
    };
    const signals = evaluateSignals(view, NO_FEATURES, settings).filter((s) => s.name === 'authz-probing');
    const score = combineScore(signals);
    const explained = signals.map(({ name, contribution, observed, threshold, reason }) => ({
      name,
      contribution: Math.round(contribution),
      observed,
      threshold,
      reason,
    }));
    if (bandFor(score, settings.bands) !== 'block') return { score, signals: explained };
    const target = this.blockTarget(signals, view, { ip, prefix, tokenHash, subject });
    if (!target) return { score, signals: explained };
    const shadow = this.policy.mode === 'shadow';
    const blocked = await this.block(
      target.scope,
      target.value,
      now,
      score,
      'authz-probing',
      settings,
      shadow,
      decisionId,
    );
    void verdict;
    return { score, signals: explained, ...(blocked ? { blocked } : {}) };
  }
}

const EMPTY_VIEW: CounterView = {
  authenticated: false,
  ipShort: 0,
  ipLong: 0,
  prefixShort: 0,
  prefixLong: 0,
  subjectShort: 0,
  subjectLong: 0,
  tokenShort: 0,
  clientShort: 0,
  ipFailures: 0,
  prefixFailures: 0,
  subjectAuthzFailures: 0,
  ipAuthzFailures: 0,
  distinctIpsForIdentity: 0,
  distinctSubjectsOnIp: 0,
  oneShotTokensOnPrefix: 0,
  identityRequests: 0,
  identityHeads: 0,
  identityErrors: 0,
  identityInjections: 0,
  distinctIds: 0,
  idDensity: undefined,
  cadenceVariation: undefined,
  cadenceSamples: 0,
  underAttack: false,
  knownClient: true,
};

const NO_FEATURES: RequestFeatures = {
  method: '',
  injections: [],
  automation: undefined,
  journeyViolations: [],
  volumeMultiplier: 1,
  ignoreSignals: new Set(),
};

/** Requests per IP: anonymous ones for an anonymous caller; all of them for an authenticated one. */
function maxOfKinds(
  a: Readonly<Record<BucketKind, number>>,
  b: Readonly<Record<BucketKind, number>>,
): Record<BucketKind, number> {
  return {
    r: Math.max(a.r, b.r),
    a: Math.max(a.a, b.a),
    f: Math.max(a.f, b.f),
    h: Math.max(a.h, b.h),
    x: Math.max(a.x, b.x),
    i: Math.max(a.i, b.i),
    z: Math.max(a.z, b.z),
  };
}

function deny(principalId: string, context: Record<string, string | number | boolean>): Decision {
  return { effect: 'deny', principalId, context };
}

/** Scope key used by the block cache and operators for a block. */
export const blockCacheKey = (scope: BlockScope, value: string): string => `${scope}#${value}`;
