import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import {
  accessLogFormatString,
  HTTP_ACCESS_LOG_FORMAT,
  REST_ACCESS_LOG_FORMAT,
} from '../../lambdas/log-feedback/access-log-format';
import type { CustomDomainConfig, GatewardenConfig } from '../config';
import type { CountersTable } from '../constructs/counters-table';
import { GatewardenCore, type GatewardenCoreProps } from '../constructs/gatewarden-core';
import { GATEWARDEN_RUNTIME } from '../constructs/gatewarden-function';
import { GatewardenGatewayResponses } from '../constructs/gateway-responses';
import { Operations } from '../constructs/operations';
import { corePropsFromConfig } from './core-props';

/** Props for {@link GatewardenStack}. */
export interface GatewardenStackProps extends StackProps {
  /**
   * The validated context configuration (`readConfig`).
   * @default - the demo configuration (placeholder issuer, shadow mode)
   */
  readonly config?: GatewardenConfig;
  /**
   * Overrides for the core construct (tests use these).
   * @default - none
   */
  readonly core?: Partial<GatewardenCoreProps>;
}

const DEMO_JWT = {
  issuer: 'https://issuer.example.com/',
  audience: ['gatewarden-demo'],
  jwksUri: 'https://issuer.example.com/.well-known/jwks.json',
};

/**
 * The demo stack: a REST API and an HTTP API in front of a small backend Lambda, both protected by Gatewarden
 * authorizers, with JSON access logs fed back into the counters, the WAF web ACL on the REST stage, gateway
 * responses, alarms and a dashboard.
 */
export class GatewardenStack extends Stack {
  public readonly core: GatewardenCore;
  public readonly counters: CountersTable;
  public readonly restApi: apigw.RestApi;
  public readonly httpApi: apigwv2.HttpApi;
  public readonly operations: Operations;

  constructor(scope: Construct, id: string, props: GatewardenStackProps = {}) {
    super(scope, id, props);
    const config = props.config;
    const coreProps: GatewardenCoreProps = config
      ? corePropsFromConfig(config, props.core)
      : { jwt: DEMO_JWT, ...props.core };
    this.core = new GatewardenCore(this, 'Gatewarden', {
      ...coreProps,
      tableRemovalPolicy: RemovalPolicy.DESTROY,
    });
    this.counters = this.core.counters;
    const restAuthorizer = this.core.restAuthorizer!;
    const httpAuthorizer = this.core.httpAuthorizer!;

    const backend = demoBackend(this);

    // REST API: every method behind the REQUEST authorizer (no identity source, no cache).
    const restLogs = this.core.accessLogGroup(this, 'RestAccessLogs');
    const mtls = config?.customDomain?.truststoreUri !== undefined;
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      description: 'Gatewarden demo REST API',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      cloudWatchRole: config?.apiGatewayLogRole ?? true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      // With mutual TLS, the execute-api endpoint would let clients skip the certificate check.
      disableExecuteApiEndpoint: mtls,
      deployOptions: {
        stageName: 'demo',
        accessLogDestination: new apigw.LogGroupLogDestination(restLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(accessLogFormatString(REST_ACCESS_LOG_FORMAT)),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        tracingEnabled: true,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
      },
      defaultMethodOptions: {
        authorizer: restAuthorizer.restAuthorizer(),
        authorizationType: apigw.AuthorizationType.CUSTOM,
      },
    });
    const validator = this.restApi.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new apigw.LambdaIntegration(backend);
    this.restApi.root.addMethod('GET', integration, { requestValidator: validator });
    const items = this.restApi.root.addResource('items');
    items.addMethod('GET', integration, { requestValidator: validator });
    items.addResource('{id}').addMethod('GET', integration, { requestValidator: validator });
    this.restApi.root.addResource('login').addMethod('POST', integration, { requestValidator: validator });

    const responses = new GatewardenGatewayResponses(this, 'GatewayResponses', {
      restApiId: this.restApi.restApiId,
    });
    // Gateway responses only take effect in a deployment made after them.
    this.restApi.latestDeployment?.node.addDependency(responses);
    this.restApi.latestDeployment?.addToLogicalId(
      Object.values(responses.responses).map((r) => [r.responseType, r.statusCode, r.responseTemplates]),
    );

    this.core.waf?.associate(this.restApi.deploymentStage.stageArn, 'RestStageAssociation');

    // HTTP API: WAF cannot be associated with HTTP APIs; front it with CloudFront and a CLOUDFRONT web ACL if needed.
    const httpLogs = this.core.accessLogGroup(this, 'HttpAccessLogs');
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Gatewarden demo HTTP API',
      createDefaultStage: false,
      defaultAuthorizer: httpAuthorizer.httpAuthorizer(),
    });
    const integrationV2 = new integrations.HttpLambdaIntegration('Backend', backend);
    this.httpApi.addRoutes({ path: '/', methods: [apigwv2.HttpMethod.GET], integration: integrationV2 });
    this.httpApi.addRoutes({ path: '/items', methods: [apigwv2.HttpMethod.GET], integration: integrationV2 });
    this.httpApi.addRoutes({
      path: '/items/{id}',
      methods: [apigwv2.HttpMethod.GET],
      integration: integrationV2,
    });
    this.httpApi.addRoutes({
      path: '/login',
      methods: [apigwv2.HttpMethod.POST],
      integration: integrationV2,
    });
    const httpStage = new apigwv2.HttpStage(this, 'HttpStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(httpLogs),
        format: apigw.AccessLogFormat.custom(accessLogFormatString(HTTP_ACCESS_LOG_FORMAT)),
      },
    });

    if (config?.customDomain) this.addCustomDomain(config.customDomain);

    this.operations = new Operations(this, 'Operations', {
      authorizers: this.core.authorizerFunctions,
      table: this.counters.table,
      logFeedback: this.core.logFeedback.function,
      ...(this.core.waf
        ? { updater: { function: this.core.waf.updater, failureQueue: this.core.waf.failureQueue } }
        : {}),
      ...(config?.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      apis: [
        {
          name: 'RestApi',
          requests: this.restApi.deploymentStage.metricCount(),
          clientErrors: this.restApi.deploymentStage.metricClientError(),
        },
        { name: 'HttpApi', requests: httpStage.metricCount(), clientErrors: httpStage.metricClientError() },
      ],
    });

    new CfnOutput(this, 'RestApiUrl', { value: this.restApi.url });
    new CfnOutput(this, 'HttpApiUrl', { value: httpStage.url });
    new CfnOutput(this, 'TableName', { value: this.counters.table.tableName });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName });

    this.acknowledgeFindings();
  }

  /** Custom domain with a TLS 1.2 policy in front of the REST API, and mutual TLS when a truststore is given. */
  private addCustomDomain(domain: CustomDomainConfig): void {
    const truststore = domain.truststoreUri ? parseS3Uri(domain.truststoreUri) : undefined;
    new apigw.DomainName(this, 'Domain', {
      domainName: domain.domainName,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      endpointType: apigw.EndpointType.REGIONAL,
      mapping: this.restApi,
      ...(truststore
        ? {
            mtls: {
              bucket: s3.Bucket.fromBucketName(this, 'Truststore', truststore.bucket),
              key: truststore.key,
              ...(domain.truststoreVersion ? { version: domain.truststoreVersion } : {}),
            },
          }
        : {}),
    });
  }

  private acknowledgeFindings(): void {
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Methods use the Gatewarden Lambda REQUEST authorizer, which verifies JWTs from any OIDC issuer and scores bot risk; Cognito is not required.',
    });
    const role = this.restApi.node.tryFindChild('CloudWatchRole');
    if (role) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level API Gateway logging role; AWS documents this managed policy for it and it only writes API Gateway log groups.',
      });
    }
  }
}

/** A tiny backend: echoes the route and the authorizer's decision id. */
function demoBackend(scope: Construct): lambda.Function {
  const logGroup = new logs.LogGroup(scope, 'BackendLogs', {
    retention: logs.RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, 'BackendRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  logGroup.grantWrite(role);
  return new lambda.Function(scope, 'Backend', {
    description: 'Gatewarden demo backend',
    runtime: GATEWARDEN_RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    role,
    logGroup,
    code: lambda.Code.fromInline(
      [
        'exports.handler = async (event) => {',
        '  const ctx = event.requestContext || {};',
        '  const auth = ctx.authorizer || {};',
        '  const decisionId = auth.decisionId || (auth.lambda && auth.lambda.decisionId) || null;',
        "  return { statusCode: 200, headers: { 'content-type': 'application/json' },",
        '    body: JSON.stringify({ ok: true, route: event.resource || event.routeKey, decisionId }) };',
        '};',
      ].join('\n'),
    ),
  });
}

function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return { bucket: match?.[1] ?? '', key: match?.[2] ?? '' };
}
