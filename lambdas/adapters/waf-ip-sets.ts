import { GetIPSetCommand, UpdateIPSetCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import type { IpVersion } from '../ipset/address';
import { diffAddresses } from '../ipset/diff';
import type { IpSetRef } from '../ipset/ip-set-arn';
import type { IpSetWriter, SyncOutcome } from '../ipset/reconcile';
import { createRequestPacer, type PacerClock, type RequestPacer, systemClock } from './request-pacer';
import { WafError, type WafErrorKind } from './waf-errors';

/** Options of {@link WafIpSets}; every field has a default suited to production. */
export interface WafIpSetsOptions {
  /**
   * Calls (GetIPSet or UpdateIPSet) per sync before giving up. Each lock conflict, throttle or transient error
   * costs one attempt plus a backoff.
   * @default 8
   */
  readonly maxAttempts?: number;
  /** First backoff after a lock conflict or transient error; doubles per attempt. @default 100 */
  readonly baseDelayMs?: number;
  /** First backoff after throttling; doubles per attempt. @default 1000 */
  readonly throttleBaseDelayMs?: number;
  /** Upper bound of one backoff. @default 8000 */
  readonly maxDelayMs?: number;
  /**
   * Minimum spacing of UpdateIPSet calls per account in this process: WAF allows about one create/update call per
   * second per account and Region.
   * @default 1000
   */
  readonly updateIntervalMs?: number;
  /** Clock for pacing and backoff. @default the system clock */
  readonly clock?: PacerClock;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /**
   * Client for a Region. The default builds one WAFV2Client per Region (CloudFront sets live in us-east-1), with
   * the SDK's own retries off so this class's policy is the only one; the SDK still honours
   * `AWS_ENDPOINT_URL_WAFV2`.
   */
  readonly clientFor?: (region: string) => WAFV2Client;
  /** Called before each backoff, for logging. */
  readonly onRetry?: (event: RetryEvent) => void;
}

/** Passed to {@link WafIpSetsOptions.onRetry}. */
export interface RetryEvent {
  readonly ipSetArn: string;
  readonly reason: 'lock-conflict' | 'throttled' | 'transient';
  readonly attempt: number;
  readonly delayMs: number;
  readonly errorName: string;
}

/** An IP set as read, with the token that must accompany the next update. */
export interface IpSetSnapshot {
  readonly addresses: readonly string[];
  readonly lockToken: string;
  readonly version: IpVersion;
}

const defaults = {
  maxAttempts: 8,
  baseDelayMs: 100,
  throttleBaseDelayMs: 1000,
  maxDelayMs: 8000,
  updateIntervalMs: 1000,
};

// Names the SDK and WAF use for throttling. WAFLimitsExceededException is NOT one of them: it means a resource
// limit (e.g. more than 10,000 addresses) and retrying cannot succeed.
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'ThrottledException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
]);
// WAF asks callers to retry these; the network ones come from the HTTP layer.
const TRANSIENT_NAMES = new Set([
  'WAFInternalErrorException',
  'WAFUnavailableEntityException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * WAF IP sets behind the {@link IpSetWriter} port. A sync reads the set (GetIPSet), and when it differs from the
 * desired list, replaces the whole list (UpdateIPSet) with the LockToken just read. Retry policy:
 * - `WAFOptimisticLockException` (someone else updated the set since our read): re-read and retry;
 * - throttling (ThrottlingException, TooManyRequestsException, HTTP 429, ...): back off and retry;
 * - WAF internal errors and network errors: back off and retry;
 * - everything else (capacity, missing set, invalid address, permissions): fail at once with a {@link WafError}.
 * Backoff is exponential with equal jitter (half fixed, half random), bounded by `maxDelayMs` and `maxAttempts`.
 */
export class WafIpSets implements IpSetWriter {
  private readonly options: Required<Omit<WafIpSetsOptions, 'onRetry' | 'clientFor'>> &
    Pick<WafIpSetsOptions, 'onRetry'>;
  private readonly clientFor: (region: string) => WAFV2Client;
  private readonly pacers = new Map<string, RequestPacer>();

  constructor(options: WafIpSetsOptions = {}) {
    this.options = {
      ...defaults,
      clock: systemClock,
      random: Math.random,
      ...stripUndefined(options),
    };
    if (!Number.isInteger(this.options.maxAttempts) || this.options.maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a positive integer, got ${this.options.maxAttempts}`);
    }
    const clients = new Map<string, WAFV2Client>();
    this.clientFor =
      options.clientFor ??
      ((region) => {
        let client = clients.get(region);
        if (!client) {
          client = new WAFV2Client({ region, maxAttempts: 1 });
          clients.set(region, client);
        }
        return client;
      });
  }

  /** Reads one IP set (no retries). */
  async read(ref: IpSetRef): Promise<IpSetSnapshot> {
    const output = await this.clientFor(ref.region).send(
      new GetIPSetCommand({ Name: ref.name, Id: ref.id, Scope: ref.scope }),
    );
    const ipSet = output.IPSet;
    if (
      !ipSet ||
      !output.LockToken ||
      (ipSet.IPAddressVersion !== 'IPV4' && ipSet.IPAddressVersion !== 'IPV6')
    ) {
      throw new WafError('unavailable', ref.arn, 'GetIPSet returned no IP set or no LockToken', 1);
    }
    return { addresses: ipSet.Addresses ?? [], lockToken: output.LockToken, version: ipSet.IPAddressVersion };
  }

  /** Makes the set hold exactly `addresses`; see the class comment for the retry policy. */
  async sync(ref: IpSetRef, version: IpVersion, addresses: readonly string[]): Promise<SyncOutcome> {
    const { maxAttempts, clock } = this.options;
    let lockConflicts = 0;
    let throttled = 0;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const current = await this.read(ref);
        if (current.version !== version) {
          throw new WafError(
            'invalid-request',
            ref.arn,
            `IP set holds ${current.version} addresses but is configured for ${version}; move its ARN to the other list`,
            attempt,
          );
        }
        const diff = diffAddresses(current.addresses, addresses);
        if (!diff.changed) {
          return { updated: false, added: 0, removed: 0, size: addresses.length, lockConflicts, throttled };
        }
        await this.pacerFor(ref.account).acquire();
        await this.clientFor(ref.region).send(
          new UpdateIPSetCommand({
            Name: ref.name,
            Id: ref.id,
            Scope: ref.scope,
            Addresses: [...addresses],
            LockToken: current.lockToken,
          }),
        );
        return {
          updated: true,
          added: diff.add.length,
          removed: diff.remove.length,
          size: addresses.length,
          lockConflicts,
          throttled,
        };
      } catch (error) {
        if (error instanceof WafError) throw error;
        const retry = retryReason(error);
        if (retry === undefined) throw translate(error, ref.arn, attempt);
        if (retry === 'lock-conflict') lockConflicts += 1;
        if (retry === 'throttled') throttled += 1;
        if (attempt >= maxAttempts) {
          const kind: WafErrorKind = retry === 'transient' ? 'unavailable' : retry;
          throw new WafError(kind, ref.arn, `gave up after repeated ${retry} errors`, attempt, {
            cause: error,
          });
        }
        const delayMs = this.backoff(retry, attempt);
        this.options.onRetry?.({
          ipSetArn: ref.arn,
          reason: retry,
          attempt,
          delayMs,
          errorName: errorName(error),
        });
        await clock.sleep(delayMs);
      }
    }
  }

  /** Equal jitter: half of the exponential step is fixed (so retries always spread out), half is random. */
  private backoff(reason: 'lock-conflict' | 'throttled' | 'transient', attempt: number): number {
    const base = reason === 'throttled' ? this.options.throttleBaseDelayMs : this.options.baseDelayMs;
    const cap = Math.min(this.options.maxDelayMs, base * 2 ** (attempt - 1));
    return Math.round(cap / 2 + this.options.random() * (cap / 2));
  }

  private pacerFor(account: string): RequestPacer {
    let pacer = this.pacers.get(account);
    if (!pacer) {
      pacer = createRequestPacer(this.options.updateIntervalMs, this.options.clock);
      this.pacers.set(account, pacer);
    }
    return pacer;
  }
}

/** Why an error is worth retrying, or undefined when it is not. */
export function retryReason(error: unknown): 'lock-conflict' | 'throttled' | 'transient' | undefined {
  const name = errorName(error);
  if (name === 'WAFOptimisticLockException') return 'lock-conflict';
  const status = httpStatus(error);
  if (THROTTLING_NAMES.has(name) || status === 429) return 'throttled';
  if (TRANSIENT_NAMES.has(name) || (status !== undefined && status >= 500)) return 'transient';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return 'transient';
  return undefined;
}

function translate(error: unknown, arn: string, attempts: number): WafError {
  const name = errorName(error);
  const options = { cause: error };
  switch (name) {
    case 'WAFLimitsExceededException':
      return new WafError(
        'capacity',
        arn,
        'WAF limit exceeded (more than 10,000 addresses in the set?)',
        attempts,
        options,
      );
    case 'WAFNonexistentItemException':
      return new WafError(
        'not-found',
        arn,
        'IP set not found: check the ARN in the configuration',
        attempts,
        options,
      );
    case 'WAFInvalidParameterException':
    case 'WAFInvalidOperationException':
      return new WafError('invalid-request', arn, `WAF rejected the request (${name})`, attempts, options);
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
      return new WafError(
        'access-denied',
        arn,
        'not allowed: grant wafv2:GetIPSet and wafv2:UpdateIPSet',
        attempts,
        options,
      );
    default:
      if (httpStatus(error) === 403) {
        return new WafError(
          'access-denied',
          arn,
          'not allowed: grant wafv2:GetIPSet and wafv2:UpdateIPSet',
          attempts,
          options,
        );
      }
      return new WafError('unavailable', arn, `unexpected error ${name}`, attempts, options);
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function httpStatus(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
