import { createHash } from 'node:crypto';
import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import {
  accessLogFormatString,
  HTTP_ACCESS_LOG_FORMAT,
  REST_ACCESS_LOG_FORMAT,
} from '../../lambdas/log-feedback/access-log-format';
import type { ExistingHttpApi, ExistingRestApi, GatewardenConfig, RestMethodRef } from '../config';
import { GatewardenCore, type GatewardenCoreProps } from '../constructs/gatewarden-core';
import { GatewardenGatewayResponses } from '../constructs/gateway-responses';
import { type ApiMetrics, Operations } from '../constructs/operations';
import { corePropsFromConfig } from './core-props';

/** Props for {@link AttachStack}. */
export interface AttachStackProps extends StackProps {
  /** The validated configuration; `restApi` and/or `httpApi` name the APIs to protect. */
  readonly config: GatewardenConfig;
  /**
   * Overrides for the core construct (tests use these).
   * @default - none
   */
  readonly core?: Partial<GatewardenCoreProps>;
}

/**
 * Protects APIs that already exist (created elsewhere, by hand or by another stack):
 *
 * - creates the Gatewarden authorizer on the API (CloudFormation `AWS::ApiGateway::Authorizer` /
 *   `AWS::ApiGatewayV2::Authorizer` on the existing API id) and lets API Gateway invoke it;
 * - turns on the JSON access log of the stage, subscribed to the feedback function;
 * - points the chosen methods / routes at the authorizer and redeploys the stage (API Gateway SDK calls through
 *   `AwsCustomResource`, because CloudFormation cannot change resources it does not own);
 * - REST only: JSON gateway responses and the WAF web ACL on the stage.
 *
 * `cdk diff` shows what would change before anything does. Every method / route has its own resources, named after
 * what they protect (`RestMethod-<resourceId>-<METHOD>`, `HttpRoute-<routeId>`), so adding, removing or reordering
 * entries leaves the others' resources alone. A removed entry, or every entry when the stack is deleted, is set back
 * to `NONE` authorization without an authorizer (the state attach expects them in) and the stage is redeployed after
 * that reset; deleting the stack also turns off the access log it set.
 */
export class AttachStack extends Stack {
  public readonly core: GatewardenCore;
  public readonly operations: Operations;

  constructor(scope: Construct, id: string, props: AttachStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.core = new GatewardenCore(this, 'Gatewarden', {
      ...corePropsFromConfig(config, props.core),
      authorizers: { rest: config.restApi !== undefined, http: config.httpApi !== undefined },
      waf: config.restApi !== undefined,
    });

    const role = new iam.Role(this, 'AttachRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Gatewarden attach: API Gateway calls on the existing APIs',
    });
    const crLogs = new logs.LogGroup(this, 'AttachLogs', { retention: this.core.logRetention });
    crLogs.grantWrite(role);

    const apis: ApiMetrics[] = [];
    if (config.restApi) {
      // The account-level role is shared by every REST API in the Region: only on request (see apiGatewayAccount).
      const metrics = this.attachRest(config.restApi, role, crLogs, config.apiGatewayLogRole === true);
      if (metrics) apis.push(metrics);
    }
    if (config.httpApi) apis.push(this.attachHttp(config.httpApi, role, crLogs));
    retryThrottledCalls(this);

    this.operations = new Operations(this, 'Operations', {
      authorizers: this.core.authorizerFunctions,
      table: this.core.counters.table,
      logFeedback: this.core.logFeedback.function,
      ...(this.core.waf
        ? { updater: { function: this.core.waf.updater, failureQueue: this.core.waf.failureQueue } }
        : {}),
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      apis,
    });

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'HTTP API access logging is configured through CloudWatch Logs delivery APIs (logs:CreateLogDelivery and friends), which support only Resource "*".',
    });
  }

  private attachRest(
    api: ExistingRestApi,
    role: iam.Role,
    crLogs: logs.ILogGroup,
    createAccountRole: boolean,
  ): ApiMetrics | undefined {
    const authorizer = this.core.restAuthorizer!;
    const apiArn = (path: string) =>
      this.formatArn({
        service: 'apigateway',
        account: '',
        resource: '/restapis',
        resourceName: `${api.id}${path}`,
      });

    const cfnAuthorizer = new apigw.CfnAuthorizer(this, 'RestAuthorizer', {
      restApiId: api.id,
      name: `${this.stackName}-gatewarden`,
      type: 'REQUEST',
      authorizerUri: lambdaInvokeUri(this, authorizer.function),
      // Caching off and no identity source: every request reaches the authorizer (see GatewardenAuthorizer).
      authorizerResultTtlInSeconds: 0,
    });
    new lambda.CfnPermission(this, 'RestAuthorizerPermission', {
      action: 'lambda:InvokeFunction',
      functionName: authorizer.function.functionArn,
      principal: 'apigateway.amazonaws.com',
      sourceArn: this.formatArn({
        service: 'execute-api',
        resource: api.id,
        resourceName: `authorizers/${cfnAuthorizer.ref}`,
      }),
    });
    const responses = new GatewardenGatewayResponses(this, 'GatewayResponses', { restApiId: api.id });

    const account = createAccountRole ? this.apiGatewayAccount() : undefined;

    const accessLogs = this.core.accessLogGroup(this, 'RestAccessLogs');
    const stageArn = apiArn(`/stages/${api.stage}`);
    const format = accessLogFormatString(REST_ACCESS_LOG_FORMAT);
    const stageCall = (patchOperations: Record<string, string>[]): cr.AwsSdkCall => ({
      service: 'APIGateway',
      action: 'updateStage',
      parameters: { restApiId: api.id, stageName: api.stage, patchOperations },
      physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${api.stage}/access-log`),
    });
    const stageOn = stageCall([
      { op: 'replace', path: '/accessLogSettings/destinationArn', value: logGroupArnWithoutStar(accessLogs) },
      { op: 'replace', path: '/accessLogSettings/format', value: format },
    ]);
    const stageUpdate = new cr.AwsCustomResource(this, 'RestStageAccessLog', {
      ...this.crDefaults(role, crLogs),
      onCreate: stageOn,
      onUpdate: stageOn,
      // Deleting the stack turns the access log off again (UpdateStage `remove /accessLogSettings`, API Gateway
      // "Patch Operations"): otherwise the stage keeps logging into the log group the stack deletes.
      onDelete: stageCall([{ op: 'remove', path: '/accessLogSettings' }]),
    });
    // API Gateway refuses access logs until the Region's CloudWatch role is set ("CloudWatch Logs role ARN must be set
    // in account settings to enable logging"): CDK's RestApi orders its stage after its Account the same way.
    if (account) stageUpdate.node.addDependency(account);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['apigateway:PATCH'], resources: [stageArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['apigateway:POST'], resources: [apiArn('/deployments')] }),
    );
    const deploy = (description: string, id = 'deployment'): cr.AwsSdkCall => ({
      service: 'APIGateway',
      action: 'createDeployment',
      parameters: { restApiId: api.id, stageName: api.stage, description },
      physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${api.stage}/${id}`),
    });

    const keys = api.methods.map(restMethodKey).sort();
    const detach = this.detachDeployment('Rest', keys, deploy('Gatewarden detach', 'detach'), role, crLogs);
    detach.node.addDependency(cfnAuthorizer);
    // Gateway responses go before the redeploy too, so the last deployment has none of Gatewarden's pieces.
    responses.node.addDependency(detach);
    const methodUpdates = this.attachRestMethods(api, cfnAuthorizer, role, crLogs);
    for (const update of methodUpdates) update.node.addDependency(stageUpdate, detach);

    // A new deployment makes the method and gateway-response changes live on the stage; the description changes
    // whenever what is attached changes (not its order) or the authorizer is replaced, so CloudFormation calls it
    // again. (A fingerprint of the authorizer's logical-id *token* differed between syntheses.)
    const description = `Gatewarden attach ${hash([keys, format])} ${cfnAuthorizer.ref}`;
    const deployment = new cr.AwsCustomResource(this, 'RestDeployment', {
      ...this.crDefaults(role, crLogs),
      onCreate: deploy(description),
      onUpdate: deploy(description),
    });
    deployment.node.addDependency(stageUpdate, responses, ...methodUpdates);

    this.core.waf?.associate(stageArn, 'RestStageAssociation');
    new CfnOutput(this, 'RestAuthorizerId', { value: cfnAuthorizer.ref });

    // REST API metrics are dimensioned by API *name*, which the id does not tell at synth: no 4XX-rate alarm here.
    return undefined;
  }

  private attachHttp(api: ExistingHttpApi, role: iam.Role, crLogs: logs.ILogGroup): ApiMetrics {
    const authorizer = this.core.httpAuthorizer!;
    const apiArn = (path: string) =>
      this.formatArn({
        service: 'apigateway',
        account: '',
        resource: '/apis',
        resourceName: `${api.id}${path}`,
      });

    const cfnAuthorizer = new apigwv2.CfnAuthorizer(this, 'HttpAuthorizer', {
      apiId: api.id,
      name: `${this.stackName}-gatewarden`,
      authorizerType: 'REQUEST',
      authorizerUri: lambdaInvokeUri(this, authorizer.function),
      authorizerPayloadFormatVersion: '2.0',
      enableSimpleResponses: true,
      authorizerResultTtlInSeconds: 0,
    });
    new lambda.CfnPermission(this, 'HttpAuthorizerPermission', {
      action: 'lambda:InvokeFunction',
      functionName: authorizer.function.functionArn,
      principal: 'apigateway.amazonaws.com',
      sourceArn: this.formatArn({
        service: 'execute-api',
        resource: api.id,
        resourceName: `authorizers/${cfnAuthorizer.ref}`,
      }),
    });

    const accessLogs = this.core.accessLogGroup(this, 'HttpAccessLogs');
    const format = accessLogFormatString(HTTP_ACCESS_LOG_FORMAT);
    const stageOn: cr.AwsSdkCall = {
      service: 'ApiGatewayV2',
      action: 'updateStage',
      parameters: {
        ApiId: api.id,
        StageName: api.stage,
        AccessLogSettings: { DestinationArn: logGroupArnWithoutStar(accessLogs), Format: format },
      },
      physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${api.stage}/access-log`),
    };
    const stageUpdate = new cr.AwsCustomResource(this, 'HttpStageAccessLog', {
      ...this.crDefaults(role, crLogs),
      onCreate: stageOn,
      onUpdate: stageOn,
      // "To disable access logging for a Stage, delete its AccessLogSettings" (API Gateway V2 API reference).
      onDelete: {
        service: 'ApiGatewayV2',
        action: 'deleteAccessLogSettings',
        parameters: { ApiId: api.id, StageName: api.stage },
      },
    });
    const stagePath = `/stages/${api.stage}`;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['apigateway:PATCH'], resources: [apiArn(stagePath)] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['apigateway:DELETE'],
        resources: [apiArn(`${stagePath}/accesslogsettings`)],
      }),
    );
    // HTTP API access logging goes through CloudWatch Logs vended delivery.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ],
        resources: ['*'],
      }),
    );

    const routeUpdates = this.attachHttpRoutes(api, cfnAuthorizer, role, crLogs);
    for (const update of routeUpdates) update.node.addDependency(stageUpdate);

    if (!api.autoDeploy) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['apigateway:POST'], resources: [apiArn('/deployments')] }),
      );
      const deploy = (description: string, id = 'deployment'): cr.AwsSdkCall => ({
        service: 'ApiGatewayV2',
        action: 'createDeployment',
        parameters: { ApiId: api.id, StageName: api.stage, Description: description },
        physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${api.stage}/${id}`),
      });
      const keys = [...api.routeIds].sort();
      const detach = this.detachDeployment('Http', keys, deploy('Gatewarden detach', 'detach'), role, crLogs);
      detach.node.addDependency(cfnAuthorizer);
      for (const update of routeUpdates) update.node.addDependency(detach);
      const description = `Gatewarden attach ${hash([keys, format])} ${cfnAuthorizer.ref}`;
      const deployment = new cr.AwsCustomResource(this, 'HttpDeployment', {
        ...this.crDefaults(role, crLogs),
        onCreate: deploy(description),
        onUpdate: deploy(description),
      });
      deployment.node.addDependency(stageUpdate, ...routeUpdates);
    }
    new CfnOutput(this, 'HttpAuthorizerId', { value: cfnAuthorizer.ref });

    const dims = { ApiId: api.id, Stage: api.stage };
    return {
      name: 'HttpApi',
      requests: new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName: 'Count',
        dimensionsMap: dims,
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      clientErrors: new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName: '4xx',
        dimensionsMap: dims,
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
    };
  }

  private crDefaults(role: iam.IRole, logGroup: logs.ILogGroup): cr.AwsCustomResourceProps {
    return {
      role,
      logGroup,
      installLatestAwsSdk: false,
      timeout: Duration.minutes(2),
      // No `policy`: the shared role gets explicit statements with API Gateway's real IAM actions
      // (apigateway:PATCH / POST on resource paths), which the SDK-call-derived policy would get wrong.
    };
  }

  /**
   * The Region's API Gateway CloudWatch Logs role. CloudFormation: "you should only have one
   * AWS::ApiGateway::Account resource per region per account", and every REST API in the Region logs through the role
   * it names (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-account.html).
   * Both are retained: deleting the stack, or dropping the option, must not delete the role the Region still points
   * at (DeletionPolicy applies to resources removed from the template too:
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
   */
  private apiGatewayAccount(): apigw.CfnAccount {
    const logRole = new iam.Role(this, 'ApiGatewayLogRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    logRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const account = new apigw.CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: logRole.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(logRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The account-level API Gateway logging role that REST access logs need; AWS documents this managed policy for it.',
    });
    return account;
  }

  /**
   * Redeploys the stage when it is deleted, after the resets of the methods / routes that depend on it. Its id is
   * derived from the set protected, so a change to the set removes the old one: CloudFormation deletes removed
   * resources after the update, dependents first ("Resource A is deleted before resource B",
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html), so the removed
   * entries are reset and then this redeploys once. One deployment per change, not one per entry: CreateDeployment
   * is limited to one request every 5 seconds per account
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
   */
  private detachDeployment(
    kind: 'Rest' | 'Http',
    keys: readonly string[],
    call: cr.AwsSdkCall,
    role: iam.IRole,
    logGroup: logs.ILogGroup,
  ): cr.AwsCustomResource {
    return new cr.AwsCustomResource(this, `${kind}DetachDeployment-${hash(keys).slice(0, 8)}`, {
      ...this.crDefaults(role, logGroup),
      onDelete: call,
    });
  }

  /**
   * One resource per REST method, named after it (`RestMethod-<resourceId>-<METHOD>`) with a physical id from the
   * same key: CloudFormation replaces a custom resource whose physical id changes and then deletes the old one
   * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html), which here
   * would reset a method that is still listed. Keyed ids make the list order irrelevant.
   */
  private attachRestMethods(
    api: ExistingRestApi,
    authorizer: apigw.CfnAuthorizer,
    role: iam.Role,
    logGroup: logs.ILogGroup,
  ): cr.AwsCustomResource[] {
    // Every method of the API, not just the listed ones: the role's policy is updated before CloudFormation deletes
    // a removed method's resource, and that delete still has to be allowed to reset the method.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['apigateway:PATCH'],
        resources: [this.restApiArn(api.id, '/resources/*/methods/*')],
      }),
    );
    this.acknowledgeApiWildcard(role, `/restapis/${api.id}/resources/*/methods/*`);
    return api.methods.map((m) => {
      const call = (patchOperations: Record<string, string>[]): cr.AwsSdkCall => ({
        service: 'APIGateway',
        action: 'updateMethod',
        parameters: {
          restApiId: api.id,
          resourceId: m.resourceId,
          httpMethod: m.httpMethod,
          patchOperations,
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${m.resourceId}/${m.httpMethod}`),
      });
      const attach = call([
        { op: 'replace', path: '/authorizationType', value: 'CUSTOM' },
        { op: 'replace', path: '/authorizerId', value: authorizer.ref },
      ]);
      return new cr.AwsCustomResource(this, `RestMethod-${restMethodKey(m)}`, {
        ...this.crDefaults(role, logGroup),
        onCreate: attach,
        onUpdate: attach,
        // Back to NONE (attach expects unauthenticated methods; check with `aws apigateway get-method` first), and
        // the authorizer id cleared: API Gateway refuses to delete an authorizer a method still names
        // (ConflictException "Cannot delete authorizer ..., is referenced in method").
        onDelete: call([
          { op: 'replace', path: '/authorizationType', value: 'NONE' },
          { op: 'replace', path: '/authorizerId', value: '' },
        ]),
      });
    });
  }

  /** One resource per HTTP API route, named after the route id (see {@link attachRestMethods}). */
  private attachHttpRoutes(
    api: ExistingHttpApi,
    authorizer: apigwv2.CfnAuthorizer,
    role: iam.Role,
    logGroup: logs.ILogGroup,
  ): cr.AwsCustomResource[] {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['apigateway:PATCH'],
        resources: [
          this.formatArn({
            service: 'apigateway',
            account: '',
            resource: '/apis',
            resourceName: `${api.id}/routes/*`,
          }),
        ],
      }),
    );
    this.acknowledgeApiWildcard(role, `/apis/${api.id}/routes/*`);
    return api.routeIds.map((routeId) => {
      const call = (authorizationType: string, authorizerId: string): cr.AwsSdkCall => ({
        service: 'ApiGatewayV2',
        action: 'updateRoute',
        parameters: {
          ApiId: api.id,
          RouteId: routeId,
          AuthorizationType: authorizationType,
          AuthorizerId: authorizerId,
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${routeId}`),
      });
      return new cr.AwsCustomResource(this, `HttpRoute-${routeId}`, {
        ...this.crDefaults(role, logGroup),
        onCreate: call('CUSTOM', authorizer.ref),
        onUpdate: call('CUSTOM', authorizer.ref),
        // NONE alone leaves the authorizer on the route; its id has to go too
        // (https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/2184).
        onDelete: call('NONE', ''),
      });
    });
  }

  /** Acknowledges the per-API wildcard that lets a removed method's / route's delete still reset it. */
  private acknowledgeApiWildcard(role: iam.Role, path: string): void {
    const region = Token.isUnresolved(this.region) ? '<AWS::Region>' : this.region;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:${region}::${path}]`,
      reason:
        'Every method / route of the one attached API: a removed entry is reset after CloudFormation has already updated this policy, so the grant cannot follow the list.',
    });
  }

  private restApiArn(apiId: string, path: string): string {
    return this.formatArn({
      service: 'apigateway',
      account: '',
      resource: '/restapis',
      resourceName: `${apiId}${path}`,
    });
  }
}

/** The stable key of a protected REST method, `<resourceId>-<METHOD>`: its resources are named after it. */
export function restMethodKey(method: RestMethodRef): string {
  return `${method.resourceId}-${method.httpMethod}`;
}

/**
 * The SDK calls of every `AwsCustomResource` run in CDK's one provider function per stack. A stack update makes
 * several CreateDeployment calls seconds apart (the attach deployment, then the redeploy after removed entries),
 * and API Gateway allows one every 5 seconds per account: the SDK's default 3 attempts can run out inside that window,
 * so the provider retries up to 10 times (AWS_MAX_ATTEMPTS, honoured by every SDK v3 client).
 */
function retryThrottledCalls(stack: Stack): void {
  const id = `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;
  const provider = stack.node.tryFindChild(id);
  if (provider instanceof lambda.Function) provider.addEnvironment('AWS_MAX_ATTEMPTS', '10');
}

function lambdaInvokeUri(stack: Stack, fn: lambda.IFunction): string {
  return `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${fn.functionArn}/invocations`;
}

/** API Gateway wants the log group ARN without the trailing `:*` that CloudFormation's `Arn` attribute has. */
function logGroupArnWithoutStar(group: logs.ILogGroup): string {
  return Stack.of(group).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: group.logGroupName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}
