import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { WAF_MAX_ADDRESSES_PER_SET } from '../../lambdas/ipset/capacity';
import { WAF_UPDATER_STREAM_FILTER_PATTERNS } from '../../lambdas/waf-updater/stream-filter';
import { PropsError } from './errors';
import { grantTableAccess } from './gatewarden-authorizer';
import { GatewardenFunction, lambdaEntry } from './gatewarden-function';

/** An AWS managed rule group the web ACL can run after the block rule. */
export interface ManagedRuleGroup {
  /** e.g. `AWSManagedRulesKnownBadInputsRuleSet`. */
  readonly name: string;
  /** Web ACL capacity units it costs (for the docs; WAF computes the real figure). */
  readonly wcu: number;
}

/** The managed rule groups {@link WafBlocklistProps.managedRuleGroups} adds by default. */
export const DEFAULT_MANAGED_RULE_GROUPS: readonly ManagedRuleGroup[] = [
  { name: 'AWSManagedRulesAmazonIpReputationList', wcu: 25 },
  { name: 'AWSManagedRulesKnownBadInputsRuleSet', wcu: 200 },
  { name: 'AWSManagedRulesSQLiRuleSet', wcu: 200 },
];

/** Name of the web ACL rule that blocks Gatewarden's IP sets; it is always evaluated first (priority 0). */
export const BLOCK_RULE_NAME = 'gatewarden-blocklist';

/** Props for {@link WafBlocklist}. */
export interface WafBlocklistProps {
  /** The Gatewarden table ({@link CountersTable}); its stream drives the updater. */
  readonly table: dynamodb.ITableV2;
  /**
   * Reserved concurrency of the updater. Not needed for correctness: UpdateIPSet takes a lock token, and an updater
   * that loses the race retries with the new token. A reservation fails the deploy in new or low-quota accounts
   * (Lambda keeps at least 100 unreserved executions; AWS Lambda Developer Guide, "Configuring reserved
   * concurrency"), so it is off unless asked for.
   * @default undefined (no reservation)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * IP sets per IP version. Each holds at most 10,000 entries; the updater spreads blocks over them.
   * @default 1
   */
  readonly ipSetsPerVersion?: number;
  /**
   * Entries the updater writes per set at most, leaving headroom below WAF's 10,000 for manual emergency entries.
   * @default 9500
   */
  readonly highWater?: number;
  /**
   * Add the AWS managed rule groups in {@link DEFAULT_MANAGED_RULE_GROUPS} after the block rule.
   * @default true
   */
  readonly managedRuleGroups?: boolean;
  /**
   * REST API stage ARNs to associate the web ACL with (`stage.stageArn`). HTTP APIs cannot be associated with
   * AWS WAF: put CloudFront (with its own web ACL) in front of them.
   * @default - none; call {@link WafBlocklist.associate}
   */
  readonly restApiStageArns?: readonly string[];
  /**
   * How often the updater reconciles the IP sets with the table, on top of reacting to the stream.
   * @default Duration.minutes(5)
   */
  readonly reconcileEvery?: Duration;
  /**
   * Times Lambda retries a failing stream batch (halving it each time) before it goes to the failure queue.
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * Key for the failure queue and the function's log group.
   * @default - SQS-managed encryption for the queue, CloudWatch Logs' own for the logs
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Pushes Gatewarden's IP and prefix blocks to AWS WAF: IPv4 and IPv6 IP sets, a regional web ACL whose first rule
 * blocks them, and a single-writer updater Lambda fed by the table's stream (block records only) and a schedule.
 * WAF IP-set updates replace the whole list under an optimistic lock, so one writer (reserved concurrency 1)
 * avoids lock conflicts between concurrent updaters.
 */
export class WafBlocklist extends Construct {
  public readonly ipSetsV4: wafv2.CfnIPSet[] = [];
  public readonly ipSetsV6: wafv2.CfnIPSet[] = [];
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly updater: lambda.IFunction;
  public readonly updaterRole: iam.Role;
  /** Stream batches and scheduled runs that failed after their retries. */
  public readonly failureQueue: sqs.Queue;
  public readonly schedule: events.Rule;
  public readonly associations: wafv2.CfnWebACLAssociation[] = [];
  /** The high-water mark the updater was given. */
  public readonly highWater: number;

  constructor(scope: Construct, id: string, props: WafBlocklistProps) {
    super(scope, id);
    const setCount = props.ipSetsPerVersion ?? 1;
    this.highWater = props.highWater ?? 9500;
    const problems: string[] = [];
    if (!Number.isInteger(setCount) || setCount < 1 || setCount > 10) {
      problems.push(`ipSetsPerVersion must be a whole number from 1 to 10, got ${setCount}`);
    }
    if (
      !Number.isInteger(this.highWater) ||
      this.highWater < 1 ||
      this.highWater > WAF_MAX_ADDRESSES_PER_SET
    ) {
      problems.push(
        `highWater must be a whole number from 1 to ${WAF_MAX_ADDRESSES_PER_SET}, got ${this.highWater}`,
      );
    }
    const retryAttempts = props.retryAttempts ?? 5;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 10_000) {
      problems.push(`retryAttempts must be a whole number from 0 to 10000, got ${retryAttempts}`);
    }
    if (problems.length > 0) throw new PropsError(this, problems.join('; '));

    const prefix = Stack.of(this).stackName.slice(0, 60);
    for (let i = 0; i < setCount; i++) {
      for (const version of ['IPV4', 'IPV6'] as const) {
        const set = new wafv2.CfnIPSet(this, `${version === 'IPV4' ? 'V4' : 'V6'}Set${i}`, {
          name: `${prefix}-gatewarden-${version.toLowerCase()}-${i}`,
          description: `Gatewarden blocked ${version === 'IPV4' ? 'IPv4' : 'IPv6'} addresses, managed by the updater`,
          scope: 'REGIONAL',
          ipAddressVersion: version,
          addresses: [],
        });
        (version === 'IPV4' ? this.ipSetsV4 : this.ipSetsV6).push(set);
      }
    }
    const allSets = [...this.ipSetsV4, ...this.ipSetsV6];

    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: BLOCK_RULE_NAME,
        priority: 0,
        statement: {
          orStatement: {
            statements: allSets.map((set) => ({ ipSetReferenceStatement: { arn: set.attrArn } })),
          },
        },
        action: {
          block: { customResponse: { responseCode: 403, customResponseBodyKey: 'gatewarden-blocked' } },
        },
        visibilityConfig: visibility('GatewardenBlocklist'),
      },
    ];
    if (props.managedRuleGroups ?? true) {
      DEFAULT_MANAGED_RULE_GROUPS.forEach((group, i) => {
        rules.push({
          name: group.name,
          priority: 10 * (i + 1),
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group.name } },
          overrideAction: { none: {} },
          visibilityConfig: visibility(group.name),
        });
      });
    }
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: 'Gatewarden: Gatewarden blocklist first, then optional AWS managed rule groups',
      defaultAction: { allow: {} },
      customResponseBodies: {
        'gatewarden-blocked': { contentType: 'APPLICATION_JSON', content: '{"message":"Forbidden"}' },
      },
      rules,
      visibilityConfig: visibility('GatewardenWebAcl'),
    });
    (props.restApiStageArns ?? []).forEach((arn, i) => {
      this.associate(arn, `Association${i}`);
    });

    // Failure queue: the last stop for batches the updater could not apply; alarmed on depth.
    this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
      encryption: props.encryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED,
      ...(props.encryptionKey ? { encryptionMasterKey: props.encryptionKey } : {}),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the WAF updater; it has no consumer to redrive from.',
    });

    const fn = new GatewardenFunction(this, 'Updater', {
      entry: lambdaEntry('waf-updater/handler.ts'),
      description: 'Gatewarden WAF updater: block records into WAF IP sets',
      memorySize: 512,
      timeout: Duration.minutes(2),
      // UpdateIPSet replaces the whole list under a lock token: concurrent updaters are safe without a reservation.
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      environment: {
        GATEWARDEN_TABLE: props.table.tableName,
        WAF_IPSET_V4_ARNS: joinArns(this.ipSetsV4),
        WAF_IPSET_V6_ARNS: joinArns(this.ipSetsV6),
        WAF_IPSET_HIGH_WATER: String(this.highWater),
      },
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
    this.updater = fn.function;
    this.updaterRole = fn.role;

    this.updaterRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['wafv2:GetIPSet', 'wafv2:UpdateIPSet'],
        resources: allSets.map((set) => set.attrArn),
      }),
    );
    // The scheduled reconcile lists active blocks from the sparse index; the stream delivers the rest.
    grantTableAccess(this.updaterRole, props.table, { table: [], activeBlocksIndex: ['dynamodb:Query'] });

    fn.function.addEventSource(
      new eventSources.DynamoEventSource(props.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(2),
        bisectBatchOnError: true,
        retryAttempts,
        maxRecordAge: Duration.hours(1),
        reportBatchItemFailures: true,
        onFailure: new eventSources.SqsDlq(this.failureQueue),
        // Only block records invoke the updater; counter writes (one per request) never do.
        filters: WAF_UPDATER_STREAM_FILTER_PATTERNS.map((pattern) => lambda.FilterCriteria.filter(pattern)),
      }),
    );

    if (props.encryptionKey) {
      // CDK's SQS send grant (on-failure destinations) adds these for the queue's key; the resource is that one key.
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
        Validations.of(this.updaterRole).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: `${action} on the failure queue's own key only, granted by CDK so failed batches can be sent to the encrypted queue.`,
        });
      }
    }

    // Scheduled reconcile: catches TTL expiries and anything a failed batch left behind.
    fn.function.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new lambdaDestinations.SqsDestination(this.failureQueue),
    });
    this.schedule = new events.Rule(this, 'Reconcile', {
      description: 'Gatewarden: reconcile the WAF IP sets with the active blocks',
      schedule: events.Schedule.rate(props.reconcileEvery ?? Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(fn.function, { retryAttempts: 2, maxEventAge: Duration.minutes(5) }),
      ],
    });
  }

  /** Associates the web ACL with a REST API stage (regional resources only: HTTP APIs are not supported by WAF). */
  public associate(
    resourceArn: string,
    id = `Association${this.associations.length}`,
  ): wafv2.CfnWebACLAssociation {
    const association = new wafv2.CfnWebACLAssociation(this, id, {
      resourceArn,
      webAclArn: this.webAcl.attrArn,
    });
    this.associations.push(association);
    return association;
  }
}

function joinArns(sets: readonly wafv2.CfnIPSet[]): string {
  return sets.map((s) => s.attrArn).join(',');
}

function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName };
}
