import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import { Construct } from 'constructs';
import { grantTableAccess, tableRegionsEnvironment } from './gatewarden-authorizer';
import { GatewardenFunction, lambdaEntry } from './gatewarden-function';

/** Props for {@link LogFeedback}. */
export interface LogFeedbackProps {
  /** The Gatewarden table ({@link CountersTable}). */
  readonly table: dynamodb.ITableV2;
  /**
   * API access log groups (in the JSON format of `lambdas/log-feedback/access-log-format.ts`) to subscribe to now;
   * more can be added with {@link LogFeedback.subscribe}.
   * @default - none
   */
  readonly accessLogGroups?: readonly logs.ILogGroup[];
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer-managed key for the function's log group.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Every Region of the table when it is a global table (`GATEWARDEN_REGIONS`): feedback then adds to this
   * Region's copies of the counter items (as the authorizers' `tableRegions`).
   * @default - one Region
   */
  readonly tableRegions?: readonly string[];
}

/**
 * Feeds API Gateway access logs back into the counters: the response status of every request (404 sweeps, 401
 * bursts, 5xx) is only known after the authorizer ran, so a CloudWatch Logs subscription hands each log batch to
 * this function.
 */
export class LogFeedback extends Construct {
  public readonly function: lambda.IFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** The subscription filters created so far. */
  public readonly subscriptions: logs.SubscriptionFilter[] = [];

  constructor(scope: Construct, id: string, props: LogFeedbackProps) {
    super(scope, id);
    const fn = new GatewardenFunction(this, 'Handler', {
      entry: lambdaEntry('log-feedback/handler.ts'),
      description: 'Gatewarden access-log feedback: response statuses into the counters',
      memorySize: 512,
      environment: {
        GATEWARDEN_TABLE: props.table.tableName,
        ...tableRegionsEnvironment(this, props.tableRegions),
      },
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logEncryptionKey ? { encryptionKey: props.logEncryptionKey } : {}),
    });
    this.function = fn.function;
    this.role = fn.role;
    this.logGroup = fn.logGroup;
    // Feedback only adds to counters (UpdateItem with ADD).
    grantTableAccess(this.role, props.table, { table: ['dynamodb:UpdateItem'] });
    (props.accessLogGroups ?? []).forEach((group, i) => {
      this.subscribe(group, `Subscription${i}`);
    });
  }

  /** Subscribes the function to every event of an access log group. */
  public subscribe(
    logGroup: logs.ILogGroup,
    id = `Subscription${this.subscriptions.length}`,
  ): logs.SubscriptionFilter {
    const filter = new logs.SubscriptionFilter(this, id, {
      logGroup,
      destination: new destinations.LambdaDestination(this.function),
      filterPattern: logs.FilterPattern.allEvents(),
    });
    this.subscriptions.push(filter);
    return filter;
  }
}
