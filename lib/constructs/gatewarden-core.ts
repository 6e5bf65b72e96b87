import { type Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CountersTable } from './counters-table';
import { GatewardenKey } from './encryption-key';
import { GatewardenAuthorizer, type JwtSettings } from './gatewarden-authorizer';
import { LogFeedback } from './log-feedback';
import { WafBlocklist } from './waf-blocklist';

/** Where the customer-managed key comes from. */
export type KeySource =
  | { readonly kind: 'aws-managed' }
  | { readonly kind: 'create' }
  | { readonly kind: 'import'; readonly arn: string };

/** Props for {@link GatewardenCore}. */
export interface GatewardenCoreProps {
  readonly jwt: JwtSettings;
  /**
   * Which authorizers to create.
   * @default { rest: true, http: true }
   */
  readonly authorizers?: { readonly rest?: boolean; readonly http?: boolean };
  /** @default 'shadow' */
  readonly mode?: 'enforce' | 'shadow';
  /**
   * JSON or YAML policy file, validated at synth and bundled into the authorizers as JSON.
   * @default - the built-in policy
   */
  readonly policyFile?: string;
  /** @default 0 */
  readonly trustedProxyCount?: number;
  /** @default - any */
  readonly mtlsAllowedSubjects?: readonly string[];
  /** @default - any */
  readonly mtlsAllowedIssuers?: readonly string[];
  /** @default - no replicas */
  readonly replicaRegions?: readonly string[];
  /** @default - none (required with a customer-managed key and replicas) */
  readonly replicaKeyArns?: Readonly<Record<string, string>>;
  /**
   * Encryption at rest. `aws-managed` uses each service's own keys; `create` makes one rotating CMK for the table,
   * queue and log groups; `import` uses an existing key (its policy must admit CloudWatch Logs).
   * @default { kind: 'aws-managed' }
   */
  readonly key?: KeySource;
  /**
   * Create the WAF blocklist (regional web ACL for REST API stages).
   * @default true
   */
  readonly waf?: boolean;
  /** @default true */
  readonly managedRuleGroups?: boolean;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /** @default Duration.minutes(5) */
  readonly reconcileEvery?: Duration;
}

/**
 * Everything Gatewarden needs apart from the APIs: key, table, authorizers, access-log feedback and the WAF
 * blocklist. Stacks add the APIs, wire the authorizers and access logs, and add {@link Operations}.
 */
export class GatewardenCore extends Construct {
  /** The customer-managed key, when one was asked for. */
  public readonly key?: kms.IKey;
  public readonly counters: CountersTable;
  public readonly restAuthorizer?: GatewardenAuthorizer;
  public readonly httpAuthorizer?: GatewardenAuthorizer;
  public readonly logFeedback: LogFeedback;
  public readonly waf?: WafBlocklist;
  public readonly logRetention: logs.RetentionDays;

  constructor(scope: Construct, id: string, props: GatewardenCoreProps) {
    super(scope, id);
    const source = props.key ?? { kind: 'aws-managed' };
    if (source.kind === 'create') this.key = new GatewardenKey(this, 'Key').key;
    else if (source.kind === 'import') this.key = kms.Key.fromKeyArn(this, 'Key', source.arn);
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.counters = new CountersTable(this, 'Counters', {
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.replicaRegions ? { replicaRegions: props.replicaRegions } : {}),
      ...(this.key ? { encryptionKey: this.key, replicaKeyArns: props.replicaKeyArns ?? {} } : {}),
    });
    const table = this.counters.table;
    // With replicas, every function counts into its own Region's copies of the counter items (GATEWARDEN_REGIONS).
    const tableRegions = props.replicaRegions?.length
      ? { tableRegions: [Stack.of(this).region, ...props.replicaRegions] }
      : {};
    const common = {
      table,
      ...tableRegions,
      jwt: props.jwt,
      ...(props.mode ? { mode: props.mode } : {}),
      ...(props.policyFile ? { policyFile: props.policyFile } : {}),
      ...(props.trustedProxyCount !== undefined ? { trustedProxyCount: props.trustedProxyCount } : {}),
      ...(props.mtlsAllowedSubjects ? { mtlsAllowedSubjects: props.mtlsAllowedSubjects } : {}),
      ...(props.mtlsAllowedIssuers ? { mtlsAllowedIssuers: props.mtlsAllowedIssuers } : {}),
      logRetention: this.logRetention,
      ...(this.key ? { logEncryptionKey: this.key } : {}),
    };
    if (props.authorizers?.rest ?? true) {
      this.restAuthorizer = new GatewardenAuthorizer(this, 'RestAuthorizer', { kind: 'rest', ...common });
    }
    if (props.authorizers?.http ?? true) {
      this.httpAuthorizer = new GatewardenAuthorizer(this, 'HttpAuthorizer', { kind: 'http', ...common });
    }
    this.logFeedback = new LogFeedback(this, 'LogFeedback', {
      table,
      ...tableRegions,
      logRetention: this.logRetention,
      ...(this.key ? { logEncryptionKey: this.key } : {}),
    });
    if (props.waf ?? true) {
      this.waf = new WafBlocklist(this, 'Waf', {
        table,
        logRetention: this.logRetention,
        ...(props.managedRuleGroups !== undefined ? { managedRuleGroups: props.managedRuleGroups } : {}),
        ...(props.reconcileEvery ? { reconcileEvery: props.reconcileEvery } : {}),
        ...(this.key ? { encryptionKey: this.key } : {}),
      });
    }
  }

  /** The authorizer functions created, for {@link Operations}. */
  public get authorizerFunctions() {
    return [this.restAuthorizer, this.httpAuthorizer].filter((a) => a !== undefined).map((a) => a.function);
  }

  /**
   * A log group for an API's access logs: retention as configured, encrypted with the key when there is one, and
   * subscribed to the feedback function.
   */
  public accessLogGroup(scope: Construct, id: string): logs.LogGroup {
    const group = new logs.LogGroup(scope, id, {
      retention: this.logRetention,
      ...(this.key ? { encryptionKey: this.key } : {}),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logFeedback.subscribe(group, `${id}Subscription`);
    return group;
  }
}
