import type { SignalName } from './schema';

/** Fully resolved thresholds (see `schema.ts` for their meaning). */
export interface ResolvedThresholds {
  readonly ipPerShort: number;
  readonly ipPerLong: number;
  readonly prefixPerShort: number;
  readonly prefixPerLong: number;
  readonly subjectPerShort: number;
  readonly subjectPerLong: number;
  readonly tokenPerShort: number;
  readonly clientPerShort: number;
  readonly distinctIpsPerSubject: number;
  readonly invalidAuthPerIp: number;
  readonly invalidAuthPerPrefix: number;
  readonly oneShotTokensPerPrefix: number;
  readonly headRatio: number;
  readonly headMinRequests: number;
  readonly errorRate: number;
  readonly errorMinRequests: number;
  readonly enumerationDistinctIds: number;
  readonly enumerationDensity: number;
  readonly surgeFactor: number;
  readonly surgeMinPerMinute: number;
  readonly cadenceMaxVariation: number;
  readonly cadenceMinRequests: number;
  readonly sharedIpSubjects: number;
  readonly authzFailuresPerSubject: number;
  readonly authzFailuresPerIp: number;
}

export interface ResolvedRouteSettings {
  readonly access: 'public' | 'protected';
  readonly failMode: 'open' | 'closed';
  readonly browserFacing: boolean;
  readonly honeypot: boolean;
  readonly scoring: boolean;
  readonly weights: Readonly<Record<SignalName, number>>;
  readonly thresholds: ResolvedThresholds;
  readonly bands: { readonly flag: number; readonly deny: number; readonly block: number };
  readonly block: {
    readonly durationSeconds: number;
    readonly escalationFactor: number;
    readonly maxDurationSeconds: number;
    readonly memorySeconds: number;
  };
}

/**
 * Built-in defaults. Volume thresholds sit well above what a person produces through an app (a busy single-page app
 * makes tens of calls a minute), so volume alone flags bots that run at machine speed; the other signals catch the
 * rest. Weights are the score a signal contributes at its threshold: a weight at or above the deny band means that
 * signal alone denies.
 */
export const DEFAULT_WEIGHTS: Readonly<Record<SignalName, number>> = {
  'volume-ip': 75,
  'volume-prefix': 60,
  'volume-subject': 75,
  'volume-token': 75,
  // Off by default: a public client id (a web or mobile app) is shared by every user of the app, so its volume says
  // nothing about bots. Turn it on per route or for machine-to-machine client classes.
  'volume-client': 0,
  'token-sharing': 75,
  'invalid-auth': 80,
  'one-shot': 70,
  'head-ratio': 70,
  'error-rate': 70,
  surge: 75,
  'malicious-input': 80,
  automation: 70,
  enumeration: 75,
  journey: 70,
  honeypot: 100,
  cadence: 55,
  // At its threshold it denies (above the deny band), towards four times it blocks: a person who lacks a permission
  // fails a few times and stops; a bot walking functions and object ids does not.
  'authz-probing': 80,
};

export const DEFAULT_THRESHOLDS: ResolvedThresholds = {
  ipPerShort: 60,
  ipPerLong: 300,
  prefixPerShort: 600,
  prefixPerLong: 3000,
  subjectPerShort: 120,
  subjectPerLong: 600,
  tokenPerShort: 120,
  clientPerShort: 1200,
  distinctIpsPerSubject: 6,
  invalidAuthPerIp: 10,
  invalidAuthPerPrefix: 40,
  oneShotTokensPerPrefix: 20,
  headRatio: 0.5,
  headMinRequests: 10,
  errorRate: 0.5,
  errorMinRequests: 10,
  enumerationDistinctIds: 20,
  enumerationDensity: 0.5,
  surgeFactor: 5,
  surgeMinPerMinute: 300,
  cadenceMaxVariation: 0.1,
  cadenceMinRequests: 20,
  sharedIpSubjects: 5,
  authzFailuresPerSubject: 10,
  authzFailuresPerIp: 20,
};

export const DEFAULT_ROUTE_SETTINGS: ResolvedRouteSettings = {
  access: 'protected',
  // Fail open by default: authentication still applies when the store is down, only scoring is skipped, and an
  // alarm says so. Routes where availability matters less than abuse (login, payments) should say `closed`.
  failMode: 'open',
  browserFacing: false,
  honeypot: false,
  scoring: true,
  weights: DEFAULT_WEIGHTS,
  thresholds: DEFAULT_THRESHOLDS,
  bands: { flag: 40, deny: 70, block: 90 },
  block: { durationSeconds: 900, escalationFactor: 2, maxDurationSeconds: 86_400, memorySeconds: 7 * 86_400 },
};

export const DEFAULT_WINDOWS = { shortSeconds: 60, longSeconds: 600 } as const;

/** Headers scanned for malicious input by default (besides path and query). */
export const DEFAULT_INSPECT_HEADERS: readonly string[] = [
  'user-agent',
  'referer',
  'x-api-version',
  'content-type',
];
