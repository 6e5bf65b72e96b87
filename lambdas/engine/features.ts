import type { AuthorizerRequest, AuthResult } from '../authorizer/types';
import type { ResolvedRouteSettings } from '../policy/defaults';
import type { Policy } from '../policy/policy';
import { routeMatches } from '../policy/route-match';
import type { SignalName } from '../policy/schema';
import { tokenHash as hashToken } from '../shared/token-hash';
import { automationFingerprint, scannerFingerprint } from './detectors/automation';
import { findInjectionsIn, requestParts } from './detectors/malicious-input';
import { fnv1a, networkPrefix } from './network';

const MAX_TRACKED_IDS_PER_REQUEST = 4;

/** Who a request is from, as the engine keys its counters. */
export interface RequestIdentity {
  readonly ip: string | undefined;
  readonly prefix: string | undefined;
  readonly subject: string | undefined;
  /** Hash of the token the request carried (also for a token that failed verification). */
  readonly tokenHash: string | undefined;
  readonly clientId: string | undefined;
  readonly scope: string | undefined;
}

/** What one request shows by itself, before any counting. */
export interface RequestSignals {
  readonly isHead: boolean;
  readonly injections: readonly string[];
  readonly ids: readonly number[];
  readonly automation:
    | { readonly strength: number; readonly reason: string; readonly scanner?: boolean }
    | undefined;
  /** Journey prerequisites this request fulfils (their mark attributes). */
  readonly journeyMarks: readonly string[];
  /** Journey rules that guard this route: mark attribute, description, time limit. */
  readonly journeyGuards: readonly {
    readonly mark: string;
    readonly rule: string;
    readonly within: number;
  }[];
  readonly volumeMultiplier: number;
  readonly ignoreSignals: ReadonlySet<SignalName>;
}

/** The attribute that remembers a journey's prerequisite on the client's item. */
export const journeyMark = (pattern: string): string => `j_${fnv1a(pattern).toString(36)}`;

export function requestIdentity(request: AuthorizerRequest, auth: AuthResult): RequestIdentity {
  const identity = auth.status === 'authenticated' ? auth.identity : undefined;
  const ip = request.clientIp;
  return {
    ip,
    prefix: ip ? networkPrefix(ip) : undefined,
    subject: identity?.subject,
    tokenHash: identity?.tokenHash ?? (request.rawToken ? hashToken(request.rawToken) : undefined),
    clientId: identity?.clientId,
    scope: identity?.scope,
  };
}

/** Numeric ids in path parameters (or bare numeric path segments): the input of the enumeration signal. */
export function numericIds(request: AuthorizerRequest): number[] {
  const values = Object.values(request.pathParameters);
  const source = values.length > 0 ? values : request.path.split('/');
  const ids: number[] = [];
  for (const v of source) {
    if (/^\d{1,15}$/.test(v)) ids.push(Number(v));
    if (ids.length >= MAX_TRACKED_IDS_PER_REQUEST) break;
  }
  return ids;
}

/**
 * Scanners (sqlmap, nikto, …) on every route; other automation only where browsers are expected. A replayed request
 * (`recordedHeaders`) is judged on the headers its log recorded: without a user agent not at all, and with one only on
 * what the user agent shows (the absent Accept headers were not logged, not missing).
 */
function automationOf(request: AuthorizerRequest, browserFacing: boolean): RequestSignals['automation'] {
  const recorded = request.recordedHeaders;
  if (recorded && !recorded.includes('user-agent')) return undefined;
  if (!browserFacing) return scannerFingerprint(request.headers);
  return automationFingerprint(request.headers, { userAgentOnly: recorded !== undefined });
}

/** The request's own features: method, injection syntax, ids, automation fingerprint, journey rules, client class. */
export function requestSignals(
  request: AuthorizerRequest,
  who: RequestIdentity,
  policy: Policy,
  settings: ResolvedRouteSettings,
): RequestSignals {
  const clientClass = policy.clientClasses.find(
    (c) =>
      (who.clientId !== undefined && c.clientIds.has(who.clientId)) ||
      (request.clientCert !== undefined && c.certificateSubjects.has(request.clientCert.subjectDN)),
  );
  return {
    isHead: request.method === 'HEAD',
    // Each part judged in its context: a header as a header, a query value as a value.
    injections: findInjectionsIn(requestParts(request, policy.inspectHeaders)),
    ids: numericIds(request),
    automation: automationOf(request, settings.browserFacing),
    journeyMarks: policy.journeys
      .filter((j) => routeMatches(j.after, request.route))
      .map((j) => journeyMark(j.afterPattern)),
    journeyGuards: policy.journeys
      .filter((j) => routeMatches(j.route, request.route))
      .map((j) => ({
        mark: journeyMark(j.afterPattern),
        rule: `${j.afterPattern} before ${j.routePattern}`,
        within: j.withinSeconds,
      })),
    volumeMultiplier: clientClass?.volumeMultiplier ?? 1,
    ignoreSignals: clientClass?.ignoreSignals ?? new Set<SignalName>(),
  };
}
