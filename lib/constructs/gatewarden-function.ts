import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../../lambdas/shared/metric-names';

/** The Powertools service name every Gatewarden function emits metrics under (the `service` dimension). */
export const SERVICE_NAME = 'gatewarden';

/** The Lambda runtime of every Gatewarden function. */
export const GATEWARDEN_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Where a bundled policy file lands inside the function package. */
export const POLICY_DIR = '/var/task';

/** Absolute path of a file under `lambdas/`, e.g. `lambdaEntry('authorizer/rest.ts')`. */
export function lambdaEntry(relative: string): string {
  return fileURLToPath(new URL(`../../lambdas/${relative}`, import.meta.url));
}

/** The file name the policy gets inside the bundle (always JSON: the Lambda has no YAML parser). */
export const BUNDLED_POLICY_NAME = 'gatewarden-policy.json';

/** Props for {@link GatewardenFunction}. */
export interface GatewardenFunctionProps {
  /** Absolute path of the TypeScript entry point. */
  readonly entry: string;
  /** What the function is for (the Lambda description). */
  readonly description: string;
  /**
   * Environment variables, on top of the Powertools ones.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Memory in MB. More memory is more CPU: signature checks are CPU-bound.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency (1 makes the function a single writer).
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Log retention.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer-managed key for the log group; its key policy must let CloudWatch Logs use it.
   * @default - CloudWatch Logs' own encryption
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * A policy file, already validated and written as JSON, copied into the bundle as {@link BUNDLED_POLICY_NAME};
   * its in-Lambda path is exposed as {@link bundledFilePath}.
   * @default - none
   */
  readonly bundledFile?: string;
}

/**
 * One Gatewarden Lambda with the house defaults: Node 24 on ARM64, a minified ESM bundle built by the local
 * esbuild, X-Ray tracing, its own encrypted log group with retention, and a role that may only write that log
 * group (no `AWSLambdaBasicExecutionRole`, whose `logs:*` resources are account-wide). Callers add narrow grants.
 */
export class GatewardenFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** Absolute in-Lambda path of {@link GatewardenFunctionProps.bundledFile}, when one was given. */
  public readonly bundledFilePath?: string;

  constructor(scope: Construct, id: string, props: GatewardenFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.logGroup.grantWrite(this.role);

    const bundledFile = props.bundledFile;
    if (bundledFile) this.bundledFilePath = `${POLICY_DIR}/${BUNDLED_POLICY_NAME}`;

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: GATEWARDEN_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        ...props.environment,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        minify: true,
        // No source maps: they slow cold starts of a latency-critical authorizer; errors carry their own names.
        sourceMap: false,
        mainFields: ['module', 'main'],
        // ESM bundles have no `require`; CommonJS dependencies bundled in still call it.
        banner:
          "import{createRequire as __gwCreateRequire}from'node:module';const require=__gwCreateRequire(import.meta.url);",
        forceDockerBundling: false,
        ...(bundledFile
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_inputDir: string, outputDir: string) => [
                  `cp ${shellQuote(bundledFile)} ${shellQuote(`${outputDir}/${BUNDLED_POLICY_NAME}`)}`,
                ],
              },
            }
          : {}),
      },
    });

    // X-Ray's PutTraceSegments / PutTelemetryRecords (and DynamoDB's ListStreams, for stream consumers) have no
    // resource-level permissions.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only actions without resource-level permissions use "*": xray:PutTraceSegments, xray:PutTelemetryRecords and, for the stream consumer, dynamodb:ListStreams. Every other statement names its resource.',
    });
  }
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
