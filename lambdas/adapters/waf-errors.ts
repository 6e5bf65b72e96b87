/**
 * Domain errors for the WAF and active-block adapters. SDK exceptions are translated here so callers branch on
 * `kind`, never on SDK class names (the reference solution's retry loop caught a name WAF never throws).
 */

/** What went wrong, in terms a caller can act on. */
export type WafErrorKind =
  /** Lock conflicts continued past the retry budget: another writer keeps changing the set. */
  | 'lock-conflict'
  /** Throttling continued past the retry budget. */
  | 'throttled'
  /** WAFLimitsExceededException: the set (or account) is over a WAF limit; retrying will not help. */
  | 'capacity'
  /** The IP set does not exist (wrong ARN, or deleted). */
  | 'not-found'
  /** WAF rejected the request's content (an address it will not accept, or a version mismatch). */
  | 'invalid-request'
  /** Missing IAM permission. */
  | 'access-denied'
  /** WAF internal error or unreachable endpoint, past the retry budget. */
  | 'unavailable';

/** An error from WAF, translated. `cause` holds the SDK exception. */
export class WafError extends Error {
  readonly kind: WafErrorKind;
  /** ARN of the IP set concerned. */
  readonly ipSetArn: string;
  /** Calls made before giving up. */
  readonly attempts: number;

  constructor(
    kind: WafErrorKind,
    ipSetArn: string,
    message: string,
    attempts: number,
    options?: ErrorOptions,
  ) {
    super(`${message} (IP set ${ipSetArn}, ${attempts} attempt(s))`, options);
    this.name = 'WafError';
    this.kind = kind;
    this.ipSetArn = ipSetArn;
    this.attempts = attempts;
  }
}

/** Type guard for {@link WafError}, optionally of one kind. */
export function isWafError(error: unknown, kind?: WafErrorKind): error is WafError {
  return error instanceof WafError && (kind === undefined || error.kind === kind);
}

/** Listing active blocks from the table failed. `cause` holds the SDK exception. */
export class ActiveBlocksError extends Error {
  readonly tableName: string;

  constructor(tableName: string, message: string, options?: ErrorOptions) {
    super(`${message} (table ${tableName})`, options);
    this.name = 'ActiveBlocksError';
    this.tableName = tableName;
  }
}

/** Type guard for {@link ActiveBlocksError}. */
export function isActiveBlocksError(error: unknown): error is ActiveBlocksError {
  return error instanceof ActiveBlocksError;
}
