/**
 * Errors of the pure IP-set domain. Each class sets `name`, carries the offending input, and has a type guard,
 * so adapters and handlers can branch without string matching.
 */

/** An address or CIDR that cannot be expressed as a WAF IP-set entry. */
export class InvalidAddressError extends Error {
  /** The input as received. */
  readonly input: string;

  constructor(input: string, reason: string, options?: ErrorOptions) {
    super(`"${input}" is not a usable IP address or CIDR: ${reason}`, options);
    this.name = 'InvalidAddressError';
    this.input = input;
  }
}

/** An IP-set ARN that does not have the form `arn:<partition>:wafv2:<region>:<account>:<regional|global>/ipset/<name>/<id>`. */
export class InvalidIpSetArnError extends Error {
  /** The ARN as received. */
  readonly arn: string;

  constructor(arn: string, reason: string, options?: ErrorOptions) {
    super(
      `"${arn}" is not a WAF IP-set ARN (${reason}); expected arn:aws:wafv2:<region>:<account>:regional/ipset/<name>/<id> or .../global/ipset/<name>/<id>`,
      options,
    );
    this.name = 'InvalidIpSetArnError';
    this.arn = arn;
  }
}

/** Type guard for {@link InvalidAddressError}. */
export function isInvalidAddressError(error: unknown): error is InvalidAddressError {
  return error instanceof InvalidAddressError;
}

/** Type guard for {@link InvalidIpSetArnError}. */
export function isInvalidIpSetArnError(error: unknown): error is InvalidIpSetArnError {
  return error instanceof InvalidIpSetArnError;
}
