import { createHash } from 'node:crypto';
import { ArnFormat, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
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
import type { ExistingHttpApi, ExistingRestApi, GatewardenConfig } from '../config';
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
 * `cdk diff` shows what would change before anything does. Deleting the stack sets the methods / routes back to
 * `NONE` authorization (the state attach expects them in) and redeploys.
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
      const metrics = this.attachRest(config.restApi, role, crLogs, config.apiGatewayLogRole);
      if (metrics) apis.push(metrics);
    }
    if (config.httpApi) apis.push(this.attachHttp(config.httpApi, role, crLogs));

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

    if (createAccountRole) {
      const logRole = new iam.Role(this, 'ApiGatewayLogRole', {
        assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        managedPolicies: [
          iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
        ],
      });
      new apigw.CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: logRole.roleArn });
      Validations.of(logRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level API Gateway logging role that REST access logs need; AWS documents this managed policy for it.',
      });
    }

    const accessLogs = this.core.accessLogGroup(this, 'RestAccessLogs');
    const stageArn = apiArn(`/stages/${api.stage}`);
    const format = accessLogFormatString(REST_ACCESS_LOG_FORMAT);
    const stageUpdate = this.sdkCall('RestStageAccessLog', role, crLogs, {
      service: 'APIGateway',
      action: 'updateStage',
      parameters: {
        restApiId: api.id,
        stageName: api.stage,
        patchOperations: [
          {
            op: 'replace',
            path: '/accessLogSettings/destinationArn',
            value: logGroupArnWithoutStar(accessLogs),
          },
          { op: 'replace', path: '/accessLogSettings/format', value: format },
        ],
      },
      physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${api.stage}/access-log`),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['apigateway:PATCH'], resources: [stageArn] }),
    );

    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['apigateway:POST'], resources: [apiArn('/deployments')] }),
    );
    const deploy = (description: string): cr.AwsSdkCall => ({
      service: 'APIGateway',
      action: 'createDeployment',
      parameters: { restApiId: api.id, stageName: api.stage, description },
      physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${api.stage}/deployment`),
    });
    // Deleted after the methods are reset (they depend on it): redeploys the stage without the authorizer.
    const detach = new cr.AwsCustomResource(this, 'RestDetachDeployment', {
      ...this.crDefaults(role, crLogs),
      onDelete: deploy('Gatewarden detach'),
    });
    detach.node.addDependency(cfnAuthorizer);

    const methodUpdates = api.methods.map((m, i) => {
      const methodArn = apiArn(`/resources/${m.resourceId}/methods/${m.httpMethod}`);
      const call = (authorizationType: string, authorizerId?: string): cr.AwsSdkCall => ({
        service: 'APIGateway',
        action: 'updateMethod',
        parameters: {
          restApiId: api.id,
          resourceId: m.resourceId,
          httpMethod: m.httpMethod,
          patchOperations: [
            { op: 'replace', path: '/authorizationType', value: authorizationType },
            ...(authorizerId ? [{ op: 'replace', path: '/authorizerId', value: authorizerId }] : []),
          ],
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${m.resourceId}/${m.httpMethod}`),
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['apigateway:PATCH'], resources: [methodArn] }),
      );
      const update = new cr.AwsCustomResource(this, `RestMethod${i}`, {
        ...this.crDefaults(role, crLogs),
        onCreate: call('CUSTOM', cfnAuthorizer.ref),
        onUpdate: call('CUSTOM', cfnAuthorizer.ref),
        // Back to NONE: attach expects unauthenticated methods (check with `aws apigateway get-method` first).
        onDelete: call('NONE'),
      });
      update.node.addDependency(stageUpdate, detach);
      return update;
    });

    // A new deployment makes the method and gateway-response changes live on the stage; the fingerprint in the
    // description changes whenever what is attached changes, so CloudFormation calls it again.
    const fingerprint = hash([cfnAuthorizer.logicalId, api.methods, format]);
    const deployment = new cr.AwsCustomResource(this, 'RestDeployment', {
      ...this.crDefaults(role, crLogs),
      onCreate: deploy(`Gatewarden attach ${fingerprint}`),
      onUpdate: deploy(`Gatewarden attach ${fingerprint}`),
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
    const stageUpdate = this.sdkCall('HttpStageAccessLog', role, crLogs, {
      service: 'ApiGatewayV2',
      action: 'updateStage',
      parameters: {
        ApiId: api.id,
        StageName: api.stage,
        AccessLogSettings: { DestinationArn: logGroupArnWithoutStar(accessLogs), Format: format },
      },
      physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${api.stage}/access-log`),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['apigateway:PATCH'], resources: [apiArn(`/stages/${api.stage}`)] }),
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

    const routeUpdates = api.routeIds.map((routeId, i) => {
      const call = (authorizationType: string, authorizerId?: string): cr.AwsSdkCall => ({
        service: 'ApiGatewayV2',
        action: 'updateRoute',
        parameters: {
          ApiId: api.id,
          RouteId: routeId,
          AuthorizationType: authorizationType,
          ...(authorizerId ? { AuthorizerId: authorizerId } : {}),
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${routeId}`),
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['apigateway:PATCH'], resources: [apiArn(`/routes/${routeId}`)] }),
      );
      const update = new cr.AwsCustomResource(this, `HttpRoute${i}`, {
        ...this.crDefaults(role, crLogs),
        onCreate: call('CUSTOM', cfnAuthorizer.ref),
        onUpdate: call('CUSTOM', cfnAuthorizer.ref),
        onDelete: call('NONE'),
      });
      update.node.addDependency(stageUpdate);
      return update;
    });

    if (!api.autoDeploy) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['apigateway:POST'], resources: [apiArn('/deployments')] }),
      );
      const deploy = (description: string): cr.AwsSdkCall => ({
        service: 'ApiGatewayV2',
        action: 'createDeployment',
        parameters: { ApiId: api.id, StageName: api.stage, Description: description },
        physicalResourceId: cr.PhysicalResourceId.of(`${api.id}/${api.stage}/deployment`),
      });
      const detach = new cr.AwsCustomResource(this, 'HttpDetachDeployment', {
        ...this.crDefaults(role, crLogs),
        onDelete: deploy('Gatewarden detach'),
      });
      detach.node.addDependency(cfnAuthorizer);
      for (const update of routeUpdates) update.node.addDependency(detach);
      const fingerprint = hash([cfnAuthorizer.logicalId, api.routeIds, format]);
      const deployment = new cr.AwsCustomResource(this, 'HttpDeployment', {
        ...this.crDefaults(role, crLogs),
        onCreate: deploy(`Gatewarden attach ${fingerprint}`),
        onUpdate: deploy(`Gatewarden attach ${fingerprint}`),
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

  private sdkCall(
    id: string,
    role: iam.IRole,
    logGroup: logs.ILogGroup,
    call: cr.AwsSdkCall,
  ): cr.AwsCustomResource {
    return new cr.AwsCustomResource(this, id, {
      ...this.crDefaults(role, logGroup),
      onCreate: call,
      onUpdate: call,
    });
  }
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
