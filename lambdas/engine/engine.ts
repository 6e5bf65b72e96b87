import { randomUUID } from 'node:crypto';
import { identityContext } from '../authorizer/identity-context';
import { authzDenied, tokenDecision } from '../authorizer/identity-only-decider';
import type { AuthorizerRequest, AuthResult, Decider, Decision } from '../authorizer/types';
import { authorizeRequest } from '../authz/authorize-request';
import type { ResolvedRouteSettings } from '../policy/defaults';
import type { Policy } from '../policy/policy';
import { type BlockScope, COUNTER_SK, counterKey } from '../store/table-schema';
import { Blocker, blockTarget } from './blocking';
import {
  bucketAttr,
  COUNTER_TTL_SECONDS,
  distinctCount,
  epochOf,
  ID_BLOCK_SIZE,
  type Item,
  num,
  setAttr,
  UpdateBuilder,
} from './counter-layout';
import {
  type DecisionBase,
  type DecisionOutcome,
  type DecisionRecord,
  decisionRecord,
  type EngineTelemetry,
  explainSignals,
  NOOP_TELEMETRY,
} from './decision-record';
import {
  numericIds,
  type RequestIdentity,
  type RequestSignals,
  requestIdentity,
  requestSignals,
} from './features';
import { type ClientSnapshot, FleetState } from './fleet-state';
import { NEW_CLIENT_SECONDS } from './fleet-traffic';
import { BlockCache, LocalCounters } from './local-state';
import type { CounterStore } from './ports';
import { isStoreUnavailable } from './ports';
import { bandFor, type CounterView, combineScore, evaluateSignals, type RequestFeatures } from './signals';
import { sketchSlot } from './sketch';
import { buildView, type LocalKeys, localKeys, mergedCounts } from './view';

export type { DecisionRecord, EngineTelemetry } from './decision-record';
export { HOT_SYNC_SECONDS, MAX_PENDING, SYNC_SECONDS } from './fleet-state';

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

export { COUNTER_TTL_SECONDS };

/** Methods whose requests may carry a body a backend judges after the authorizer has answered. */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Everything a decision's stages share about the request. */
interface DecisionContext {
  readonly request: AuthorizerRequest;
  readonly auth: AuthResult;
  readonly started: number;
  readonly decisionId: string;
  /** Request time, epoch seconds. */
  readonly now: number;
  readonly settings: ResolvedRouteSettings;
  readonly who: RequestIdentity;
  readonly keys: LocalKeys;
  readonly shadow: boolean;
  readonly base: DecisionBase;
  /** Context every answer to an authenticated caller carries. */
  readonly context: Record<string, string | number | boolean>;
  readonly principal: string;
}

/**
 * The risk engine: implements the authorizers' {@link Decider} in named stages —
 * screen blocks → authentication outcome → request features → counting and sync → counter view → signals and score
 * → decision and block. Each stage returns an answer when it ends the decision.
 */
export class RiskEngine implements Decider {
  private readonly policy: Policy;
  private readonly store: CounterStore;
  private readonly telemetry: EngineTelemetry;
  private readonly clock: () => number;
  private readonly local: LocalCounters;
  private readonly blocks = new BlockCache();
  private readonly fleet: FleetState;
  private readonly blocker: Blocker;
  private wasUnderAttack = false;

  constructor(options: RiskEngineOptions) {
    this.policy = options.policy;
    this.store = options.store;
    this.telemetry = options.telemetry ?? NOOP_TELEMETRY;
    this.clock = options.clock ?? Date.now;
    this.local = new LocalCounters(this.policy.windows.longSeconds);
    const defaults = this.policy.settingsFor('');
    this.fleet = new FleetState({
      store: this.store,
      longWindowSeconds: this.policy.windows.longSeconds,
      ttlSeconds: COUNTER_TTL_SECONDS,
      storeTimeoutMs: options.storeTimeoutMs ?? 350,
      surgeFactor: () => defaults.thresholds.surgeFactor,
      surgeMinPerMinute: () => defaults.thresholds.surgeMinPerMinute,
    });
    this.blocker = new Blocker(this.store, this.blocks, this.telemetry);
  }

  /** The effective mode: GATEWARDEN_MODE (passed in by the caller through the policy) or the policy's own. */
  get mode(): 'enforce' | 'shadow' {
    return this.policy.mode;
  }

  async decide(request: AuthorizerRequest, auth: AuthResult): Promise<Decision> {
    const ctx = this.begin(request, auth);
    // TOKEN events carry no IP, headers or time: identity checks only.
    if (request.kind === 'rest-token') {
      const d = tokenDecision(this.policy, request, auth, ctx.decisionId);
      const authzFailure = d.effect === 'deny' ? d.authzFailure : undefined;
      this.report(ctx, {
        band: authzFailure ? 'deny' : 'allow',
        score: 0,
        effect: d.effect,
        signals: [],
        reason: authzFailure ? `authorization failed: ${authzFailure}` : 'token event: identity only',
        ...(authzFailure ? { authzFailure } : {}),
      });
      return d;
    }
    const answer =
      this.screenBlocks(ctx) ??
      (await this.authenticationOutcome(ctx)) ??
      (await this.routeAuthorization(ctx)) ??
      this.exemption(ctx) ??
      (await this.scored(ctx));
    return answer;
  }

  /** Resolves when this container's off-path writes have finished (see `FleetState.settled`). */
  settled(): Promise<void> {
    return this.fleet.settled();
  }

  /** Writes every pending count now (tests, and a container about to be retired). */
  async flush(): Promise<void> {
    await this.fleet.flush();
  }

  private begin(request: AuthorizerRequest, auth: AuthResult): DecisionContext {
    // API Gateway's request id names the decision (one id to quote from a 403 body, the logs and the context).
    const decisionId = request.requestId || randomUUID();
    const now =
      (Number.isFinite(request.timeMs) && request.timeMs > 0 ? request.timeMs : this.clock()) / 1000;
    const who = requestIdentity(request, auth);
    const authenticated = auth.status === 'authenticated';
    return {
      request,
      auth,
      started: performance.now(),
      decisionId,
      now,
      settings: this.policy.settingsFor(request.route),
      who,
      keys: localKeys(who),
      shadow: this.policy.mode === 'shadow',
      base: {
        decisionId,
        requestId: request.requestId,
        route: request.route,
        method: request.method,
        ip: who.ip,
        subject: who.subject,
        tokenHash: who.tokenHash,
        mode: this.policy.mode,
      },
      context: {
        decisionId,
        sub: who.subject ?? '',
        scope: who.scope ?? '',
        ...(auth.status === 'authenticated' ? identityContext(auth.identity) : {}),
        tokenHash: who.tokenHash && authenticated ? who.tokenHash : '',
      },
      principal: who.subject ?? 'anonymous',
    };
  }

  private report(ctx: DecisionContext, outcome: DecisionOutcome): void {
    this.telemetry.decision(decisionRecord(ctx.base, outcome, ctx.started));
  }

  /** Stage 1. Blocks first: a client this container knows is blocked costs no counting at all. */
  private screenBlocks(ctx: DecisionContext): Decision | undefined {
    if (ctx.shadow) return undefined;
    const cached = this.cachedBlock(ctx.now, ctx.who);
    if (!cached) return undefined;
    // Keep counting a blocked client in memory (no I/O): the first sync after the block writes it, so when the block
    // expires a bot that never stopped is judged on what it did meanwhile, fleet-wide, and blocked again at once.
    this.local.add(ctx.keys.idKey, 'r', ctx.now);
    this.fleet.defer(
      this.clientUpdate(ctx, ctx.request.method === 'HEAD', [], numericIds(ctx.request), []),
      ctx.now,
    );
    this.report(ctx, {
      band: 'block',
      score: 100,
      effect: 'deny',
      signals: [],
      reason: `blocked (${cached.scope}): ${cached.reason}`,
    });
    const retryAfter = Math.max(1, Math.ceil(cached.until - ctx.now));
    return deny(ctx.principal, { decisionId: ctx.decisionId, riskScore: 100, riskBand: 'block', retryAfter });
  }

  /** Stage 2. Failed and missing credentials are 401, counted against the IP (stuffing, forgery). */
  private async authenticationOutcome(ctx: DecisionContext): Promise<Decision | undefined> {
    const { auth, settings } = ctx;
    const needsCredentials =
      settings.access === 'protected' ||
      auth.status === 'failed' ||
      // A route that requires scopes, groups or ownership cannot be called anonymously, even when public.
      this.policy.requirementFor(ctx.request.route) !== undefined;
    if (auth.status === 'authenticated' || !needsCredentials) return undefined;
    await this.countFailure(ctx);
    const failure = auth.status === 'failed' ? auth.reason : 'missing-credentials';
    this.report(ctx, {
      band: 'allow',
      score: 0,
      effect: 'unauthorized',
      signals: [],
      reason: auth.status === 'failed' ? `authentication failed: ${auth.reason}` : 'missing credentials',
      authFailure: failure,
    });
    return { effect: 'unauthorized' };
  }

  /**
   * Stage 2b. Route authorization (`require`): a valid token that may not call this route gets 403, never relaxed by
   * shadow mode or allow-lists (like authentication). Each refusal counts towards `authz-probing`.
   */
  private async routeAuthorization(ctx: DecisionContext): Promise<Decision | undefined> {
    if (ctx.auth.status !== 'authenticated') return undefined;
    const verdict = authorizeRequest(this.policy, ctx.request, ctx.auth.identity);
    if (verdict.ok) return undefined;
    const probing = await this.countAuthzFailure(ctx);
    const band = probing.blocked ? 'block' : 'deny';
    this.report(ctx, {
      band,
      score: probing.score,
      effect: 'deny',
      signals: probing.signals,
      reason: `authorization failed: ${verdict.reason}`,
      authzFailure: verdict.reason,
      ...(probing.blocked ? { blocked: probing.blocked } : {}),
    });
    return authzDenied(
      ctx.principal,
      { ...ctx.context, riskScore: probing.score, riskBand: band },
      verdict.reason,
    );
  }

  /**
   * Counts a route-authorization refusal against the subject and the IP (two item updates in parallel, only on
   * refusals) and blocks when `authz-probing` reaches the block band, as {@link countFailure} does for
   * `invalid-auth`. The answer is 403 whatever the store says.
   */
  private async countAuthzFailure(
    ctx: DecisionContext,
  ): Promise<{ score: number; signals: DecisionRecord['signals']; blocked?: DecisionRecord['blocked'] }> {
    const { now, who, keys, settings } = ctx;
    const subject = who.subject ?? '';
    const countIp = who.ip !== undefined && !this.policy.isAllowlistedIp(who.ip);
    this.local.add(keys.idKey, 'z', now);
    // The refusal is written at once; the client's next request re-reads its item wherever it lands.
    this.fleet.markHot(primaryKey(who).pk, now);
    if (countIp) this.local.add(keys.ipKey, 'z', now);
    const minute = Math.floor(now / 60);
    const update = (key: { pk: string; sk: string }) =>
      new UpdateBuilder(key.pk, key.sk)
        .add(bucketAttr('z', minute), 1)
        .setIfNotExists('firstSeen', Math.floor(now));
    let subjectItem: Item | undefined;
    let ipItem: Item | undefined;
    try {
      const [fromSubject, fromIp] = await Promise.all([
        this.fleet.countNow(update(counterKey('sub', subject)), [], now),
        countIp ? this.fleet.countNow(update(counterKey('ip', who.ip!)), [], now) : undefined,
      ]);
      subjectItem = fromSubject.item;
      ipItem = fromIp?.item;
    } catch (error) {
      this.telemetry.storeFailure({ failMode: settings.failMode, error: String(error), elapsedMs: 0 });
    }
    const w = this.policy.windows;
    const view: CounterView = {
      ...EMPTY_VIEW,
      authenticated: true,
      subjectAuthzFailures: mergedCounts(subjectItem, this.local, keys.idKey, now, w).long.z,
      ipAuthzFailures: countIp ? mergedCounts(ipItem, this.local, keys.ipKey, now, w).long.z : 0,
      distinctSubjectsOnIp: Math.max(
        distinctCount(ipItem, 'sub', now),
        this.local.distinct(keys.ipKey, 'subs', now),
      ),
    };
    const signals = evaluateSignals(view, NO_FEATURES, settings).filter((s) => s.name === 'authz-probing');
    const score = combineScore(signals);
    const explained = explainSignals(signals);
    if (bandFor(score, settings.bands) !== 'block') return { score, signals: explained };
    const target = blockTarget(signals, view, who, this.policy.settingsFor('').thresholds.sharedIpSubjects);
    if (!target) return { score, signals: explained };
    const blocked = await this.blocker.block({
      ...target,
      now,
      score,
      reason: 'authz-probing',
      settings,
      simulated: ctx.shadow,
      decisionId: ctx.decisionId,
    });
    return { score, signals: explained, blocked };
  }

  /** Routes without scoring and allow-listed callers are answered without counting. */
  private exemption(ctx: DecisionContext): Decision | undefined {
    const { who, settings } = ctx;
    const listed =
      this.policy.isAllowlistedIp(who.ip) ||
      this.policy.isAllowlistedSubject(who.subject) ||
      this.policy.isAllowlistedClient(who.clientId);
    if (settings.scoring && !listed) return undefined;
    this.report(ctx, {
      band: 'allow',
      score: 0,
      effect: 'allow',
      signals: [],
      reason: settings.scoring ? 'allow-listed' : 'scoring off',
    });
    return allow(ctx.principal, { ...ctx.context, riskScore: 0, riskBand: 'allow' });
  }

  /** Stages 3–7 for a request that is scored. */
  private async scored(ctx: DecisionContext): Promise<Decision> {
    const features = requestSignals(ctx.request, ctx.who, this.policy, ctx.settings);
    this.countLocally(ctx, features);
    let snapshot: ClientSnapshot;
    try {
      snapshot = await this.countShared(ctx, features);
    } catch (error) {
      return this.storeUnavailable(ctx, error);
    }
    const items = this.itemsOf(ctx, snapshot);
    const recorded = this.recordedBlock(ctx, items);
    if (recorded) return recorded;
    const firstSeen = num(items.idItem?.firstSeen) || ctx.now;
    this.fleet.recordTraffic(ctx.now, ctx.now - firstSeen < NEW_CLIENT_SECONDS);
    const surge = this.fleet.surge(ctx.now);
    if (surge.underAttack !== this.wasUnderAttack) {
      this.wasUnderAttack = surge.underAttack;
      this.telemetry.underAttack(surge.underAttack);
    }
    const { view, journeyViolations } = buildView({
      now: ctx.now,
      windows: this.policy.windows,
      who: ctx.who,
      keys: ctx.keys,
      ...items,
      local: this.local,
      surge,
      request: features,
    });
    return this.answer(ctx, view, {
      method: ctx.request.method,
      injections: features.injections,
      automation: features.automation,
      journeyViolations,
      volumeMultiplier: features.volumeMultiplier,
      ignoreSignals: features.ignoreSignals,
    });
  }

  /** Stage 3. This container's own counters: immediacy for items it reads but does not write. */
  private countLocally(ctx: DecisionContext, features: RequestSignals): void {
    const { now, who, keys } = ctx;
    // Per IP, anonymous requests (`r`) and authenticated ones (`a`) are counted apart: a public route's tight limit
    // (login) judges the anonymous attempts, not the same person's authenticated browsing.
    this.local.add(keys.ipKey, who.subject ? 'a' : 'r', now);
    this.local.add(keys.prefixKey, 'r', now);
    if (who.subject) {
      this.local.add(keys.idKey, 'r', now);
      if (who.ip) this.local.see(keys.idKey, 'ips', who.ip, now);
      if (who.ip) this.local.see(keys.ipKey, 'subs', who.subject, now);
      if (who.tokenHash) {
        this.local.add(keys.tokKey, 'r', now);
        if (who.ip) this.local.see(keys.tokKey, 'ips', who.ip, now);
      }
    }
    if (keys.clientKey) this.local.add(keys.clientKey, 'r', now);
    if (features.isHead) this.local.add(keys.idKey, 'h', now);
    if (features.injections.length > 0) this.local.add(keys.idKey, 'i', now);
    for (const mark of features.journeyMarks) this.local.mark(keys.idKey, mark, now);
  }

  /**
   * Stage 4. Counting and sync: the client's item is updated (and the IP, prefix and token items read) in one round
   * trip, coalesced per container (see `fleet-state.ts`). A journey prerequisite, and a guarded route, sync at
   * once: the next step may well land on another container.
   */
  private async countShared(ctx: DecisionContext, features: RequestSignals): Promise<ClientSnapshot> {
    const { now, who } = ctx;
    const reads: { pk: string; sk: string }[] = [];
    if (who.subject && who.ip) reads.push(counterKey('ip', who.ip));
    if (who.prefix) reads.push(counterKey('prefix', who.prefix));
    // The token's item only ever carries a block flag (counts live on the subject's item).
    if (who.subject && who.tokenHash) reads.push(counterKey('token', who.tokenHash));
    const upd = this.clientUpdate(
      ctx,
      features.isHead,
      features.injections,
      features.ids,
      features.journeyMarks,
    );
    const force = features.journeyMarks.length > 0 || features.journeyGuards.length > 0;
    const snapshot = await this.fleet.count(upd, reads, now, { force });
    // A backend may report a probe in this request's body (the body middleware) after this answer: the client's next
    // request here must read it.
    if (BODY_METHODS.has(ctx.request.method)) this.fleet.rereadNext(upd.pk);
    return snapshot;
  }

  /** One request's counts on the client's item (subject, or IP for anonymous callers). */
  private clientUpdate(
    ctx: DecisionContext,
    isHead: boolean,
    injections: readonly string[],
    ids: readonly number[],
    journeyMarks: readonly string[],
  ): UpdateBuilder {
    const { now, who, request } = ctx;
    const primary = primaryKey(who);
    const minute = Math.floor(now / 60);
    const epoch = epochOf(now);
    const upd = new UpdateBuilder(primary.pk, primary.sk);
    upd.add(bucketAttr('r', minute), 1);
    if (isHead) upd.add(bucketAttr('h', minute), 1);
    if (injections.length > 0) upd.add(bucketAttr('i', minute), 1);
    if (who.subject && who.ip) upd.addToSet(setAttr('ips', epoch), sketchSlot(who.ip));
    for (const id of ids) {
      upd.addToSet(setAttr('ids', epoch), sketchSlot(`${request.route}|${id}`));
      upd.addToSet(setAttr('idb', epoch), sketchSlot(`${request.route}|${Math.floor(id / ID_BLOCK_SIZE)}`));
    }
    for (const mark of journeyMarks) upd.set(mark, Math.floor(now));
    return upd;
  }

  private itemsOf(
    ctx: DecisionContext,
    snapshot: ClientSnapshot,
  ): {
    idItem: Item | undefined;
    ipItem: Item | undefined;
    prefixItem: Item | undefined;
    tokenItem: Item | undefined;
  } {
    const { who } = ctx;
    const idItem = snapshot.item;
    return {
      idItem,
      ipItem: who.subject ? (who.ip ? snapshot.reads.get(counterKey('ip', who.ip).pk) : undefined) : idItem,
      prefixItem: who.prefix ? snapshot.reads.get(counterKey('prefix', who.prefix).pk) : undefined,
      tokenItem:
        who.subject && who.tokenHash ? snapshot.reads.get(counterKey('token', who.tokenHash).pk) : undefined,
    };
  }

  /** The store failed or timed out: the route's fail mode applies (authentication already did). */
  private storeUnavailable(ctx: DecisionContext, error: unknown): Decision {
    const { settings } = ctx;
    const message = isStoreUnavailable(error) ? error.message : String(error);
    this.telemetry.storeFailure({
      failMode: settings.failMode,
      error: message,
      elapsedMs: Math.round(performance.now() - ctx.started),
    });
    if (settings.failMode === 'closed' && !ctx.shadow) {
      this.report(ctx, {
        band: 'deny',
        score: 0,
        effect: 'deny',
        signals: [],
        reason: 'counter store unavailable: fail closed',
      });
      return deny(ctx.principal, { ...ctx.context, riskScore: 0, riskBand: 'deny', failMode: 'closed' });
    }
    this.report(ctx, {
      band: 'allow',
      score: 0,
      effect: 'allow',
      signals: [],
      reason: 'counter store unavailable: fail open',
      failOpen: true,
    });
    return allow(ctx.principal, { ...ctx.context, riskScore: 0, riskBand: 'allow', failOpen: true });
  }

  /** Blocks recorded by other containers (denormalised onto the items this round trip touched). */
  private recordedBlock(
    ctx: DecisionContext,
    items: ReturnType<RiskEngine['itemsOf']>,
  ): Decision | undefined {
    if (ctx.shadow) return undefined;
    const found = this.sharedBlock(ctx.now, ctx.who, items);
    if (!found) return undefined;
    this.report(ctx, {
      band: 'block',
      score: 100,
      effect: 'deny',
      signals: [],
      reason: `blocked (${found.scope})`,
    });
    return deny(ctx.principal, {
      ...ctx.context,
      riskScore: 100,
      riskBand: 'block',
      retryAfter: Math.max(1, Math.ceil(found.until - ctx.now)),
    });
  }

  /** Stages 6–7. Signals, score and band; then the answer, with a block when the band says so. */
  private async answer(
    ctx: DecisionContext,
    view: CounterView,
    features: RequestFeatures,
  ): Promise<Decision> {
    const { now, settings, shadow } = ctx;
    const signals = evaluateSignals(view, features, settings);
    const score = combineScore(signals);
    const band = bandFor(score, settings.bands);
    const top = [...signals].sort((a, b) => b.contribution - a.contribution);
    const reason = top.length > 0 ? top.map((s) => s.name).join(',') : 'no signal';
    if (top.length > 0) {
      this.fleet.markHot(primaryKey(ctx.who).pk, now);
    }
    let blocked: DecisionRecord['blocked'];
    if (band === 'block') {
      const target = blockTarget(top, view, ctx.who, this.policy.settingsFor('').thresholds.sharedIpSubjects);
      if (target) {
        blocked = await this.blocker.block({
          ...target,
          now,
          score,
          reason,
          settings,
          simulated: shadow,
          decisionId: ctx.decisionId,
        });
      }
    }
    const riskContext = {
      ...ctx.context,
      riskScore: score,
      riskBand: band,
      riskSignals: top.map((s) => s.name).join(','),
    };
    const refused = band === 'deny' || band === 'block';
    const outcome: DecisionOutcome = {
      band,
      score,
      effect: refused && !shadow ? 'deny' : 'allow',
      signals: explainSignals(top),
      reason,
      ...(blocked ? { blocked } : {}),
    };
    this.report(ctx, outcome);
    if (refused && !shadow) {
      const rate = top.some((s) => s.rate);
      const retryAfter = blocked
        ? Math.max(1, Math.ceil(blocked.until - now))
        : rate
          ? this.policy.windows.shortSeconds
          : undefined;
      return deny(ctx.principal, { ...riskContext, ...(retryAfter ? { retryAfter } : {}) });
    }
    return allow(ctx.principal, { ...riskContext, ...(shadow && refused ? { shadow: true } : {}) });
  }

  private cachedBlock(now: number, who: RequestIdentity) {
    // Most containers hold no block at all: no keys to build.
    if (this.blocks.size === 0) return undefined;
    const keys = [
      who.ip && `ip#${who.ip}`,
      who.prefix && `prefix#${who.prefix}`,
      who.tokenHash && `token#${who.tokenHash}`,
      who.subject && `subject#${who.subject}`,
    ];
    for (const k of keys) {
      if (!k) continue;
      const hit = this.blocks.get(k, now);
      if (hit) return hit;
    }
    return undefined;
  }

  /** Reads `blockedUntil` flags from the items of this round trip; a hit is cached for this container. */
  private sharedBlock(
    now: number,
    who: Partial<RequestIdentity>,
    items: {
      idItem?: Item | undefined;
      ipItem?: Item | undefined;
      prefixItem?: Item | undefined;
      tokenItem?: Item | undefined;
    },
  ): { scope: BlockScope; until: number } | undefined {
    const candidates: [BlockScope, string | undefined, number][] = [
      ['ip', who.ip, num(items.ipItem?.blockedUntil)],
      ['prefix', who.prefix, num(items.prefixItem?.blockedUntil)],
      ['subject', who.subject, who.subject ? num(items.idItem?.blockedUntil) : 0],
      ['token', who.tokenHash, num(items.tokenItem?.blockedUntil)],
    ];
    for (const [scope, value, until] of candidates) {
      if (value && until > now) {
        this.blocks.put(`${scope}#${value}`, until, now, scope, 'recorded block');
        this.fleet.keepFlagAlive(items.idItem);
        return { scope, until };
      }
    }
    return undefined;
  }

  /** Counts a failed or missing authentication against the IP (one write) and blocks floods of them. */
  private async countFailure(ctx: DecisionContext): Promise<void> {
    const { now, who, keys, settings } = ctx;
    const ip = who.ip;
    if (!ip || this.policy.isAllowlistedIp(ip)) return;
    this.local.add(keys.ipKey, 'r', now);
    this.local.add(keys.ipKey, 'f', now);
    this.local.add(keys.prefixKey, 'r', now);
    this.local.add(keys.prefixKey, 'f', now);
    const key = counterKey('ip', ip);
    const minute = Math.floor(now / 60);
    const upd = new UpdateBuilder(key.pk, COUNTER_SK)
      .add(bucketAttr('r', minute), 1)
      .add(bucketAttr('f', minute), 1)
      .setIfNotExists('firstSeen', Math.floor(now));
    if (who.tokenHash) upd.addToSet(setAttr('tok', epochOf(now)), sketchSlot(who.tokenHash));
    let ipItem: Item | undefined;
    let prefixItem: Item | undefined;
    try {
      const out = await this.fleet.countNow(upd, who.prefix ? [counterKey('prefix', who.prefix)] : [], now);
      ipItem = out.item;
      prefixItem = who.prefix ? out.reads.get(counterKey('prefix', who.prefix).pk) : undefined;
      if (!ctx.shadow)
        this.sharedBlock(now, { ip, prefix: who.prefix }, { idItem: ipItem, ipItem, prefixItem });
    } catch (error) {
      // Authentication already failed: the answer is 401 whatever the store says.
      this.telemetry.storeFailure({ failMode: settings.failMode, error: String(error), elapsedMs: 0 });
    }
    const view = failureView(this.local, keys, ipItem, prefixItem, now, this.policy.windows);
    const signals = evaluateSignals(view, NO_FEATURES, settings).filter((s) => s.name === 'invalid-auth');
    const score = combineScore(signals);
    if (bandFor(score, settings.bands) !== 'block') return;
    const target = blockTarget(
      signals,
      view,
      { ip, prefix: who.prefix },
      this.policy.settingsFor('').thresholds.sharedIpSubjects,
    );
    if (!target) return;
    await this.blocker.block({
      ...target,
      now,
      score,
      reason: 'invalid-auth',
      settings,
      simulated: ctx.shadow,
      decisionId: ctx.decisionId,
    });
  }
}

/** The view of a failed authentication: failures per IP and prefix, and who shares the IP. */
function failureView(
  local: LocalCounters,
  keys: LocalKeys,
  ipItem: Item | undefined,
  prefixItem: Item | undefined,
  now: number,
  windows: { readonly shortSeconds: number; readonly longSeconds: number },
): CounterView {
  return {
    ...EMPTY_VIEW,
    ipFailures: mergedCounts(ipItem, local, keys.ipKey, now, windows).long.f,
    prefixFailures: mergedCounts(prefixItem, local, keys.prefixKey, now, windows).long.f,
    distinctSubjectsOnIp: Math.max(
      distinctCount(ipItem, 'sub', now),
      local.distinct(keys.ipKey, 'subs', now),
    ),
  };
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
  recentBodyHits: 0,
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

/** The client's own counter item: the subject's, or the IP's for anonymous callers. */
function primaryKey(who: RequestIdentity): { pk: string; sk: string } {
  return who.subject ? counterKey('sub', who.subject) : counterKey('ip', who.ip ?? 'unknown');
}

function deny(principalId: string, context: Record<string, string | number | boolean>): Decision {
  return { effect: 'deny', principalId, context };
}

function allow(principalId: string, context: Record<string, string | number | boolean>): Decision {
  return { effect: 'allow', principalId, context };
}

/** Scope key used by the block cache and operators for a block. */
export const blockCacheKey = (scope: BlockScope, value: string): string => `${scope}#${value}`;
