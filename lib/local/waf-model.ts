/**
 * An in-memory model of AWS WAF IP sets, faithful to the documented behaviour the WAF updater depends on, and a
 * helper that serves it through `aws-sdk-client-mock` to any WAFV2Client. Used by the tests and the local demo
 * (WAF cannot run locally).
 *
 * Modelled:
 * - GetIPSet returns the addresses and a LockToken; every UpdateIPSet changes the token;
 * - UpdateIPSet replaces the whole list and needs the current token, else `WAFOptimisticLockException`;
 * - more than 10,000 addresses -> `WAFLimitsExceededException`;
 * - an address that is not valid CIDR, is `/0`, has host bits set, is of the other IP version, or is listed twice
 *   -> `WAFInvalidParameterException` (the model is at least as strict as WAF, so what passes here passes there);
 * - unknown name/id/scope -> `WAFNonexistentItemException`;
 * - optional throttling: more than `maxUpdatesPerSecond` UpdateIPSet calls per second (on an injectable clock)
 *   -> `ThrottlingException` (HTTP 400, as WAF's common errors document it);
 * - optional injected failures for any call.
 *
 * @example
 * const model = new WafModel();
 * const v4 = model.createIpSet({ name: 'blocked-v4', version: 'IPV4' });
 * const stub = mockWafClient(model); // every WAFV2Client now talks to the model
 * // ... run code under test, then: model.addresses(v4.arn)
 * stub.restore();
 */
import { randomUUID } from 'node:crypto';
import {
  GetIPSetCommand,
  type GetIPSetCommandInput,
  type GetIPSetCommandOutput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  UpdateIPSetCommand,
  type UpdateIPSetCommandInput,
  type UpdateIPSetCommandOutput,
  WAFInvalidParameterException,
  WAFLimitsExceededException,
  WAFNonexistentItemException,
  WAFOptimisticLockException,
  WAFV2Client,
  type WAFV2ClientResolvedConfig,
  WAFV2ServiceException,
} from '@aws-sdk/client-wafv2';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import ipaddr from 'ipaddr.js';

/** WAF's limit of addresses per IP set. */
export const WAF_MODEL_MAX_ADDRESSES = 10_000;

/** Options of {@link WafModel}. */
export interface WafModelOptions {
  /** Clock in milliseconds for throttling. @default Date.now */
  readonly now?: () => number;
  /** UpdateIPSet calls allowed per second (sliding window, whole account). @default unlimited */
  readonly maxUpdatesPerSecond?: number;
  /** Account id used in ARNs. @default '123456789012' */
  readonly account?: string;
  /** Region used in REGIONAL ARNs. @default 'us-east-1' */
  readonly region?: string;
}

/** A created IP set, as returned by {@link WafModel.createIpSet}. */
export interface ModelIpSet {
  readonly arn: string;
  readonly name: string;
  readonly id: string;
  readonly scope: 'REGIONAL' | 'CLOUDFRONT';
  readonly version: 'IPV4' | 'IPV6';
}

/** Call counts, for assertions. */
export interface WafModelStats {
  gets: number;
  updates: number;
  lockConflicts: number;
  throttled: number;
  rejected: number;
}

interface StoredSet extends ModelIpSet {
  addresses: string[];
  lockToken: string;
}

type Operation = 'GetIPSet' | 'UpdateIPSet';

/** The model; see the module comment. */
export class WafModel {
  /** Counters since creation. */
  readonly stats: WafModelStats = { gets: 0, updates: 0, lockConflicts: 0, throttled: 0, rejected: 0 };
  private readonly sets = new Map<string, StoredSet>();
  private readonly updateTimes: number[] = [];
  private readonly failures: { operation: Operation | '*'; error: () => Error; remaining: number }[] = [];
  private readonly now: () => number;
  private readonly maxUpdatesPerSecond: number;
  private readonly account: string;
  private readonly region: string;

  constructor(options: WafModelOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxUpdatesPerSecond = options.maxUpdatesPerSecond ?? Number.POSITIVE_INFINITY;
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
  }

  /** Creates an empty IP set (or one holding `addresses`, unchecked) and returns its identity. */
  createIpSet(input: {
    name: string;
    version: 'IPV4' | 'IPV6';
    scope?: 'REGIONAL' | 'CLOUDFRONT';
    addresses?: readonly string[];
  }): ModelIpSet {
    const scope = input.scope ?? 'REGIONAL';
    const id = randomUUID();
    const kind = scope === 'CLOUDFRONT' ? 'global' : 'regional';
    const region = scope === 'CLOUDFRONT' ? 'us-east-1' : this.region;
    const arn = `arn:aws:wafv2:${region}:${this.account}:${kind}/ipset/${input.name}/${id}`;
    const set: StoredSet = {
      arn,
      name: input.name,
      id,
      scope,
      version: input.version,
      addresses: [...(input.addresses ?? [])],
      lockToken: randomUUID(),
    };
    this.sets.set(id, set);
    return { arn, name: set.name, id, scope, version: set.version };
  }

  /** The addresses of a set now (by ARN or id). */
  addresses(arnOrId: string): string[] {
    return [...this.find(arnOrId).addresses];
  }

  /** Makes the next `times` calls of `operation` (or of any operation, `'*'`) fail with `error()`. */
  failNext(operation: Operation | '*', error: () => Error, times = 1): void {
    this.failures.push({ operation, error, remaining: times });
  }

  /** Makes every call fail with `error()` until {@link WafModel.clearFailures}. */
  failAlways(operation: Operation | '*', error: () => Error): void {
    this.failures.push({ operation, error, remaining: Number.POSITIVE_INFINITY });
  }

  clearFailures(): void {
    this.failures.length = 0;
  }

  /** GetIPSet. */
  getIPSet(input: GetIPSetCommandInput): GetIPSetCommandOutput {
    this.injectFailure('GetIPSet');
    this.stats.gets += 1;
    const set = this.lookup(input);
    return {
      $metadata: { httpStatusCode: 200 },
      IPSet: {
        Name: set.name,
        Id: set.id,
        ARN: set.arn,
        IPAddressVersion: set.version,
        Addresses: [...set.addresses],
      },
      LockToken: set.lockToken,
    };
  }

  /** UpdateIPSet: whole-list replacement guarded by the LockToken. */
  updateIPSet(input: UpdateIPSetCommandInput): UpdateIPSetCommandOutput {
    this.injectFailure('UpdateIPSet');
    this.throttle();
    this.stats.updates += 1;
    const set = this.lookup(input);
    if (input.LockToken !== set.lockToken) {
      this.stats.lockConflicts += 1;
      throw new WAFOptimisticLockException({
        message:
          'AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it.',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const addresses = input.Addresses ?? [];
    if (addresses.length > WAF_MODEL_MAX_ADDRESSES) {
      this.stats.rejected += 1;
      throw new WAFLimitsExceededException({
        message: `IP set ${set.name}: ${addresses.length} addresses exceed the limit of ${WAF_MODEL_MAX_ADDRESSES}`,
        $metadata: { httpStatusCode: 400 },
        SourceType: 'IPSet',
      });
    }
    const seen = new Set<string>();
    for (const address of addresses) {
      const problem = invalidFor(address, set.version) ?? (seen.has(address) ? 'duplicate' : undefined);
      if (problem) {
        this.stats.rejected += 1;
        throw new WAFInvalidParameterException({
          message: `Error reason: ${problem}, field: IP_ADDRESS, parameter: ${address}`,
          $metadata: { httpStatusCode: 400 },
          Field: 'IP_ADDRESS',
          Parameter: address,
        });
      }
      seen.add(address);
    }
    set.addresses = [...addresses];
    set.lockToken = randomUUID();
    return { $metadata: { httpStatusCode: 200 }, NextLockToken: set.lockToken };
  }

  private lookup(input: { Name?: string; Id?: string; Scope?: string }): StoredSet {
    const set = input.Id ? this.sets.get(input.Id) : undefined;
    if (!set || set.name !== input.Name || set.scope !== input.Scope) {
      throw new WAFNonexistentItemException({
        message: 'AWS WAF couldn’t perform the operation because your resource doesn’t exist.',
        $metadata: { httpStatusCode: 400 },
      });
    }
    return set;
  }

  private find(arnOrId: string): StoredSet {
    for (const set of this.sets.values()) if (set.arn === arnOrId || set.id === arnOrId) return set;
    throw new Error(`no IP set ${arnOrId} in the model`);
  }

  private throttle(): void {
    const now = this.now();
    while (this.updateTimes.length > 0 && this.updateTimes[0]! <= now - 1000) this.updateTimes.shift();
    if (this.updateTimes.length >= this.maxUpdatesPerSecond) {
      this.stats.throttled += 1;
      throw new WAFV2ServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      });
    }
    this.updateTimes.push(now);
  }

  private injectFailure(operation: Operation): void {
    const failure = this.failures.find(
      (f) => f.remaining > 0 && (f.operation === operation || f.operation === '*'),
    );
    if (!failure) return;
    failure.remaining -= 1;
    throw failure.error();
  }
}

/** Why WAF would refuse `address` in a set of `version`, or undefined when it is acceptable. */
function invalidFor(address: string, version: 'IPV4' | 'IPV6'): string | undefined {
  const slash = address.indexOf('/');
  if (slash < 0) return 'not CIDR notation';
  const isV4 = ipaddr.IPv4.isValidCIDRFourPartDecimal(address);
  const isV6 = !isV4 && address.includes(':') && ipaddr.IPv6.isValidCIDR(address) && !address.includes('%');
  if (!isV4 && !isV6) return 'invalid CIDR';
  if ((version === 'IPV4') !== isV4) return `not an ${version} address`;
  const [, prefix] = ipaddr.parseCIDR(address);
  if (prefix === 0) return '/0 is not supported';
  const network = isV4
    ? ipaddr.IPv4.networkAddressFromCIDR(address).toString()
    : ipaddr.IPv6.networkAddressFromCIDR(address).toNormalizedString();
  const given = isV4
    ? ipaddr.IPv4.parse(address.slice(0, slash)).toString()
    : ipaddr.IPv6.parse(address.slice(0, slash)).toNormalizedString();
  return network === given ? undefined : 'host bits set';
}

/** Options of {@link mockWafClient}. */
export interface MockWafClientOptions {
  /**
   * Awaited before each call reaches the model: lets a test decide when calls land (e.g. a fast-check scheduler
   * to explore interleavings) or add latency.
   */
  readonly beforeCall?: (operation: Operation, input: unknown) => Promise<void>;
  /** Client (instance) to mock; by default every WAFV2Client. */
  readonly client?: WAFV2Client;
}

/**
 * Serves GetIPSetCommand and UpdateIPSetCommand from `model` through aws-sdk-client-mock. Call `restore()` on the
 * returned stub when done. Other WAFV2 commands are not modelled and resolve to undefined.
 */
export function mockWafClient(
  model: WafModel,
  options: MockWafClientOptions = {},
): AwsStub<ServiceInputTypes, ServiceOutputTypes, WAFV2ClientResolvedConfig> {
  const stub = mockClient(options.client ?? WAFV2Client);
  const before = options.beforeCall ?? (async () => {});
  stub.on(GetIPSetCommand).callsFake(async (input: GetIPSetCommandInput) => {
    await before('GetIPSet', input);
    return model.getIPSet(input);
  });
  stub.on(UpdateIPSetCommand).callsFake(async (input: UpdateIPSetCommandInput) => {
    await before('UpdateIPSet', input);
    return model.updateIPSet(input);
  });
  return stub;
}
