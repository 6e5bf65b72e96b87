import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE, Metrics } from '../../lambdas/shared/metric-names';
import { BLOCK_SCOPES } from '../../lambdas/store/table-schema';
import { PropsError } from './errors';
import { SERVICE_NAME } from './gatewarden-function';

/** Alarm thresholds. Every count is per 5-minute period. */
export interface AlarmThresholds {
  /** Authorizer invocation errors (each is a 500 to a caller). @default 5 */
  readonly authorizerErrors: number;
  /** Authorizer p99 duration in ms, 3 periods in a row. @default 1000 */
  readonly authorizerP99Millis: number;
  /** Share of decisions that are deny or block, in percent. @default 20 */
  readonly denyRatePercent: number;
  /** Decisions needed in the period before the deny rate is judged (quiet APIs swing wildly). @default 100 */
  readonly denyRateMinDecisions: number;
  /** Block records created. @default 50 */
  readonly blocksCreated: number;
  /** Share of API requests answered 4XX, in percent. @default 25 */
  readonly clientErrorRatePercent: number;
  /** Requests needed before the 4XX rate is judged. @default 100 */
  readonly clientErrorMinRequests: number;
  /** JWKS fetch failures. @default 3 */
  readonly jwksFetchFailures: number;
  /** DynamoDB throttled requests. @default 10 */
  readonly tableThrottles: number;
  /** IP-set fill level in percent of the high-water mark. @default 80 */
  readonly ipSetCapacityPercent: number;
}

/** Default {@link AlarmThresholds}. */
export const DEFAULT_THRESHOLDS: AlarmThresholds = {
  authorizerErrors: 5,
  authorizerP99Millis: 1000,
  denyRatePercent: 20,
  denyRateMinDecisions: 100,
  blocksCreated: 50,
  clientErrorRatePercent: 25,
  clientErrorMinRequests: 100,
  jwksFetchFailures: 3,
  tableThrottles: 10,
  ipSetCapacityPercent: 80,
};

/** The WAF updater's pieces {@link Operations} watches. */
export interface UpdaterResources {
  readonly function: lambda.IFunction;
  readonly failureQueue: sqs.IQueue;
}

/** Request and 4XX metrics of one API. */
export interface ApiMetrics {
  /** Short name used in the alarm id and title, e.g. `RestApi`. */
  readonly name: string;
  readonly requests: cloudwatch.IMetric;
  readonly clientErrors: cloudwatch.IMetric;
}

/** Props for {@link Operations}. */
export interface OperationsProps {
  /** The authorizer functions (REST and/or HTTP). */
  readonly authorizers: readonly lambda.IFunction[];
  /** The Gatewarden table. */
  readonly table: dynamodb.ITableV2;
  /**
   * The WAF updater, when the stack has one.
   * @default - no updater alarms or widgets
   */
  readonly updater?: UpdaterResources;
  /**
   * APIs whose 4XX rate is alarmed and graphed (`restApi.metricCount()` / `metricClientError()`, or the HTTP API
   * equivalents).
   * @default - none
   */
  readonly apis?: readonly ApiMetrics[];
  /**
   * The access-log feedback function.
   * @default - no feedback alarm
   */
  readonly logFeedback?: lambda.IFunction;
  /**
   * E-mail address subscribed to the alarm topic (the recipient confirms the subscription).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Key for the alarm topic. CloudWatch alarms cannot publish to a topic encrypted with the AWS managed `aws/sns`
   * key (its key policy cannot be changed to admit CloudWatch), so a customer-managed key is needed.
   * @default - a new rotating key used only by this topic
   */
  readonly topicKey?: kms.IKey;
  /**
   * @default DEFAULT_THRESHOLDS
   */
  readonly thresholds?: Partial<AlarmThresholds>;
  /**
   * @default - `<stack name>-gatewarden`
   */
  readonly dashboardName?: string;
}

/** A Gatewarden metric: namespace `Gatewarden`, the Powertools `service` dimension plus `dimensions`. */
export function gatewardenMetric(
  metricName: string,
  statistic: string,
  dimensions: Record<string, string> = {},
  label?: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    statistic,
    period: Duration.minutes(5),
    dimensionsMap: { service: SERVICE_NAME, ...dimensions },
    ...(label ? { label } : {}),
  });
}

const BANDS = ['allow', 'flag', 'deny', 'block'] as const;

/**
 * Alarms, an SNS topic and a dashboard for operators.
 *
 * Metric contract with the Lambdas (EMF, namespace `Gatewarden`, Powertools `service=gatewarden`): `Decision` with
 * dimension `Band`, `BlockCreated` with `Scope`, and `FailOpen`, `JwksFetchFailure`, `UnderAttack`,
 * `WafCapacityUsedPercent`, `WafItemsLeftOut`, `WafReconcileFailure` with no dimension besides `service`. An alarm
 * only sees a metric whose dimensions match exactly.
 *
 * Every alarm's description is its runbook: what it means and what to do.
 */
export class Operations extends Construct {
  public readonly topic: sns.Topic;
  public readonly topicKey: kms.IKey;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm, by id. */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};
  private readonly thresholds: AlarmThresholds;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...props.thresholds };
    validateThresholds(this, this.thresholds);
    if (props.authorizers.length === 0)
      throw new PropsError(this, 'authorizers must list at least one function');
    this.prefix = `${Stack.of(this).stackName}-gatewarden`;
    const t = this.thresholds;

    this.topicKey =
      props.topicKey ??
      new kms.Key(this, 'TopicKey', {
        description: 'Gatewarden alarm topic',
        enableKeyRotation: true,
      });
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Gatewarden alarms',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    // CloudWatch publishes to the encrypted topic with this key.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    // Authorizers.
    props.authorizers.forEach((fn, i) => {
      const suffix = props.authorizers.length > 1 ? String(i + 1) : '';
      this.alarm(`AuthorizerErrors${suffix}`, {
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: t.authorizerErrors,
        description:
          'Authorizer errors: API Gateway answers 500 to callers whenever the authorizer throws anything but ' +
          '"Unauthorized" or times out. Open the function log group (filter level=ERROR), check the last deployment ' +
          'and the policy file, and JWKS reachability; roll back the last change if it lines up.',
      });
      this.alarm(`AuthorizerLatencyP99${suffix}`, {
        metric: fn.metricDuration({ period: Duration.minutes(5), statistic: 'p99' }),
        threshold: t.authorizerP99Millis,
        evaluationPeriods: 3,
        description:
          'Authorizer p99 latency is high for 15 minutes: every request waits for it. Check DynamoDB latency and ' +
          'throttles on the dashboard, JWKS fetch failures, and cold starts (X-Ray); raise memory if CPU-bound.',
      });
    });

    // Decisions.
    const decisions = Object.fromEntries(
      BANDS.map((band) => [band, gatewardenMetric(Metrics.Decision, 'Sum', { Band: band }, band)]),
    );
    this.alarm('DenyRateSpike', {
      metric: new cloudwatch.MathExpression({
        expression: `IF((allow+flag+deny+block) >= ${t.denyRateMinDecisions}, 100*(deny+block)/(allow+flag+deny+block), 0)`,
        usingMetrics: decisions,
        period: Duration.minutes(5),
        label: 'Deny + block, % of decisions',
      }),
      threshold: t.denyRatePercent,
      description:
        'Deny-rate spike: a large share of requests is denied or blocked. Either an attack (check "Signals fired" ' +
        'and the top source IPs in the access logs) or a false-positive wave after a policy change or a client ' +
        'release (check which signal dominates; switch to -c mode=shadow or loosen that signal and redeploy).',
    });
    const blockMetrics = Object.fromEntries(
      BLOCK_SCOPES.map((scope) => [
        scope,
        gatewardenMetric(Metrics.BlockCreated, 'Sum', { Scope: scope }, scope),
      ]),
    );
    this.alarm('BlockRateSpike', {
      metric: new cloudwatch.MathExpression({
        expression: BLOCK_SCOPES.join('+'),
        usingMetrics: blockMetrics,
        period: Duration.minutes(5),
        label: 'Blocks created',
      }),
      threshold: t.blocksCreated,
      description:
        'Block-rate spike: many clients were blocked in 5 minutes. Confirm an attack from the active blocks (the ' +
        'table active-blocks index or the operator CLI) and the dashboard; if legitimate users are caught (shared ' +
        'NAT, a partner), unblock them and raise the block threshold for the route.',
    });
    this.alarm('DistributedUptick', {
      metric: gatewardenMetric(Metrics.UnderAttack, 'Sum'),
      threshold: 1,
      description:
        'Under-attack mode engaged: the global request rate jumped far above its baseline while no single client ' +
        'stands out (a distributed attack). Thresholds are tightened automatically. Watch the deny rate and WAF ' +
        'blocks; consider WAF rate-based rules or CloudFront geo rules for the duration.',
    });
    this.alarm('FailOpen', {
      metric: gatewardenMetric(Metrics.FailOpen, 'Sum'),
      threshold: 1,
      description:
        'Fail-open in effect: the counter store failed or timed out and requests on fail-open routes were allowed ' +
        'unscored. Check the DynamoDB throttles alarm, table health and the authorizer logs (StoreFailure); ' +
        'bot defense is off for those routes until the store recovers.',
    });
    this.alarm('JwksFetchFailures', {
      metric: gatewardenMetric(Metrics.JwksFetchFailure, 'Sum'),
      threshold: t.jwksFetchFailures,
      description:
        'JWKS fetch failures: the authorizer cannot download the issuer key set; tokens signed with keys not in ' +
        'the cache get 401. Check the identity provider status, the jwksUri context value, and outbound network ' +
        'access of the function. A flood of unknown kids also shows here (key-set refetch abuse).',
    });
    this.alarm('TableThrottles', {
      metric: props.table.metricThrottledRequestsForOperations({
        operations: [
          dynamodb.Operation.GET_ITEM,
          dynamodb.Operation.BATCH_GET_ITEM,
          dynamodb.Operation.UPDATE_ITEM,
          dynamodb.Operation.PUT_ITEM,
          dynamodb.Operation.QUERY,
        ],
        period: Duration.minutes(5),
      }),
      threshold: t.tableThrottles,
      description:
        'DynamoDB throttles on the Gatewarden table: usually one hot key (a single attacking IP hammering its ' +
        'counter past ~1,000 writes/s per partition). Authorizers then apply each route fail mode. Find the key in ' +
        'CloudWatch Contributor Insights; the in-memory block cache should absorb blocked clients - block the IP ' +
        '(an operator block reaches WAF) so it stops at the edge.',
    });

    const apiRates = (props.apis ?? []).map((api) => this.apiErrorRate(api));

    if (props.logFeedback) {
      this.alarm('LogFeedbackErrors', {
        metric: props.logFeedback.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 5,
        description:
          'Access-log feedback errors: response statuses no longer reach the counters, so 404 sweeps and 401 ' +
          'bursts are under-counted. Check the function logs; CloudWatch Logs retries delivery for a while.',
      });
    }

    if (props.updater) {
      this.alarm('UpdaterErrors', {
        metric: new cloudwatch.MathExpression({
          expression: 'errors + reconcile',
          usingMetrics: {
            errors: props.updater.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
            reconcile: gatewardenMetric(Metrics.WafReconcileFailure, 'Sum'),
          },
          period: Duration.minutes(5),
          label: 'Updater failures',
        }),
        threshold: 1,
        evaluationPeriods: 2,
        description:
          'WAF updater failing for 10 minutes: new blocks are not reaching WAF (the authorizer still enforces ' +
          'them). Check the updater logs for WAFOptimisticLockException (another writer), AccessDenied, or ' +
          'WAFLimitsExceededException; the 5-minute reconcile retries automatically once fixed.',
      });
      this.alarm('FailureQueueDepth', {
        metric: props.updater.failureQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: 1,
        description:
          'Messages in the updater failure queue: stream batches or scheduled runs failed after every retry. ' +
          'Read a message for the shard and sequence range, fix the cause, then purge the queue: the next reconcile ' +
          'rebuilds the IP sets from the table, so nothing needs replaying.',
      });
      this.alarm('IpSetCapacity', {
        metric: new cloudwatch.MathExpression({
          expression: `IF(leftOut > 0, 100, used)`,
          usingMetrics: {
            used: gatewardenMetric(Metrics.WafCapacityUsedPercent, 'Maximum'),
            leftOut: gatewardenMetric(Metrics.WafItemsLeftOut, 'Maximum'),
          },
          period: Duration.minutes(5),
          label: 'IP-set fill, % of high-water (100 when entries were left out)',
        }),
        threshold: t.ipSetCapacityPercent,
        description:
          'WAF IP sets filling up (or already full: blocked addresses left out of WAF, still denied by the ' +
          'authorizer). Add sets with the ipSetsPerVersion prop, let the updater collapse dense prefixes, or ' +
          'shorten block durations.',
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? this.prefix,
      defaultInterval: Duration.hours(3),
    });
    this.buildDashboard(props, decisions, apiRates);
  }

  private apiErrorRate(api: ApiMetrics): cloudwatch.MathExpression {
    const t = this.thresholds;
    const id = api.name;
    const rate = new cloudwatch.MathExpression({
      // Expression ids must be unique across a graph that shows several APIs.
      expression: `IF(requests${id} >= ${t.clientErrorMinRequests}, 100*errors${id}/requests${id}, 0)`,
      usingMetrics: { [`requests${id}`]: api.requests, [`errors${id}`]: api.clientErrors },
      period: Duration.minutes(5),
      label: `${id} 4XX %`,
    });
    this.alarm(`ErrorRateSpike${id}`, {
      metric: rate,
      threshold: t.clientErrorRatePercent,
      description:
        `Error-rate spike on ${id}: a large share of requests end in 4XX (401/403 from Gatewarden, 404 from ` +
        'sweeps, 429 from throttling). Credential stuffing and enumeration look like this. Check the dashboard ' +
        'signals and top reasons; if the 4XXs are 401s from one client release, it is a client bug, not an attack.',
    });
    return rate;
  }

  private alarm(
    id: string,
    opts: {
      readonly metric: cloudwatch.IMetric;
      readonly threshold: number;
      readonly description: string;
      readonly evaluationPeriods?: number;
    },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.prefix}-${id}`,
      alarmDescription: opts.description,
      metric: opts.metric,
      threshold: opts.threshold,
      evaluationPeriods: opts.evaluationPeriods ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
    alarm.addOkAction(new cwActions.SnsAction(this.topic));
    this.alarms[id] = alarm;
    return alarm;
  }

  private buildDashboard(
    props: OperationsProps,
    decisions: Record<string, cloudwatch.IMetric>,
    apiRates: readonly cloudwatch.IMetric[],
  ): void {
    const search = (
      metricName: string,
      dimension: string,
      label: string,
      stat = 'Sum',
    ): cloudwatch.MathExpression =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${METRIC_NAMESPACE},service,${dimension}} MetricName="${metricName}" service="${SERVICE_NAME}"', '${stat}', 300)`,
        usingMetrics: {},
        label,
        period: Duration.minutes(5),
      });
    const d = this.dashboard;
    d.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Gatewarden\nDecisions, signals and health. Alarms notify the SNS topic; each alarm description is its runbook.`,
        width: 24,
        height: 2,
      }),
    );
    d.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Decisions by band',
        left: Object.values(decisions),
        stacked: true,
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Signals fired',
        left: [search(Metrics.SignalFired, 'Signal', '')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Top 401 reasons',
        left: [search(Metrics.AuthFailure, 'Reason', '')],
        width: 8,
      }),
    );
    d.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Authorizer duration (p50 / p99, ms)',
        left: props.authorizers.flatMap((fn) => [
          fn.metricDuration({ statistic: 'p50', period: Duration.minutes(5) }),
          fn.metricDuration({ statistic: 'p99', period: Duration.minutes(5) }),
        ]),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Decision latency (engine, ms)',
        left: [
          gatewardenMetric(Metrics.DecisionLatency, 'p50', {}, 'p50'),
          gatewardenMetric(Metrics.DecisionLatency, 'p99', {}, 'p99'),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Fail-open, store failures, JWKS failures, under attack',
        left: [
          gatewardenMetric(Metrics.FailOpen, 'Sum', {}, 'fail-open'),
          search(Metrics.StoreFailure, 'FailMode', 'store failures'),
          gatewardenMetric(Metrics.JwksFetchFailure, 'Sum', {}, 'JWKS failures'),
          gatewardenMetric(Metrics.UnderAttack, 'Sum', {}, 'under attack'),
        ],
        width: 8,
      }),
    );
    d.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'DynamoDB capacity consumed',
        left: [
          props.table.metricConsumedReadCapacityUnits({ period: Duration.minutes(5) }),
          props.table.metricConsumedWriteCapacityUnits({ period: Duration.minutes(5) }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'DynamoDB latency (UpdateItem / GetItem, ms)',
        left: [
          props.table.metricSuccessfulRequestLatency({
            dimensionsMap: { Operation: 'UpdateItem' },
            statistic: 'p99',
          }),
          props.table.metricSuccessfulRequestLatency({
            dimensionsMap: { Operation: 'GetItem' },
            statistic: 'p99',
          }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Blocks created by scope',
        left: BLOCK_SCOPES.map((s) => gatewardenMetric(Metrics.BlockCreated, 'Sum', { Scope: s }, s)),
        stacked: true,
        width: 8,
      }),
    );
    if (apiRates.length > 0) {
      d.addWidgets(new cloudwatch.GraphWidget({ title: 'API 4XX rate (%)', left: [...apiRates], width: 24 }));
    }
    if (props.updater) {
      d.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'WAF IP sets: size and fill %',
          left: [gatewardenMetric(Metrics.WafSetSize, 'Maximum', {}, 'entries')],
          right: [gatewardenMetric(Metrics.WafCapacityUsedPercent, 'Maximum', {}, 'fill %')],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'WAF updater: changes, lock conflicts, left out',
          left: [
            gatewardenMetric(Metrics.WafChangesApplied, 'Sum', {}, 'changes'),
            gatewardenMetric(Metrics.WafLockConflicts, 'Sum', {}, 'lock conflicts'),
            gatewardenMetric(Metrics.WafItemsLeftOut, 'Maximum', {}, 'left out'),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'WAF updater: errors and failure queue',
          left: [props.updater.function.metricErrors({ period: Duration.minutes(5) })],
          right: [
            props.updater.failureQueue.metricApproximateNumberOfMessagesVisible({
              period: Duration.minutes(5),
            }),
          ],
          width: 8,
        }),
      );
    }
    d.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24 }),
    );
  }
}

function validateThresholds(scope: Construct, t: AlarmThresholds): void {
  const problems = Object.entries(t)
    .filter(([, v]) => typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    .map(([k, v]) => `thresholds.${k} must be a positive number, got ${String(v)}`);
  for (const k of ['denyRatePercent', 'clientErrorRatePercent', 'ipSetCapacityPercent'] as const) {
    if (t[k] > 100) problems.push(`thresholds.${k} is a percentage (at most 100), got ${t[k]}`);
  }
  if (problems.length > 0) throw new PropsError(scope, problems.join('; '));
}
