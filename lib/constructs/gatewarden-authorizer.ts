import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2auth from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type IssuerEntry, parseIssuerEntries } from '../../lambdas/identity/config';
import { isPolicyError } from '../../lambdas/policy/policy';
import { ACTIVE_BLOCKS_INDEX } from '../../lambdas/store/table-schema';
import { compilePolicyFile } from '../policy-file';
import { PropsError } from './errors';
import { BUNDLED_POLICY_NAME, GatewardenFunction, lambdaEntry } from './gatewarden-function';

/** JWT verification settings passed to the authorizer. */
export interface JwtSettings {
  /**
   * Required `iss`, exactly as the provider writes it (need not be a URL: Google's `accounts.google.com`).
   * @default - derived from `cognitoUserPoolId`; one of the two is required
   */
  readonly issuer?: string;
  /**
   * Accepted `aud` values.
   * @default [] (then `clientIds` must list at least one client)
   */
  readonly audience?: readonly string[];
  /**
   * HTTPS URL of the issuer's JSON Web Key Set.
   * @default - derived from `cognitoUserPoolId`
   */
  readonly jwksUri?: string;
  /**
   * An Amazon Cognito user pool id (`<region>_<id>`): the authorizer derives the issuer and key set (`COGNITO_USER_POOL_ID`).
   * Either this or `issuer` and `jwksUri`, not both.
   * @default - none
   */
  readonly cognitoUserPoolId?: string;
  /**
   * Several issuers at once (`JWT_ISSUERS`): Google's two `iss` values, the tenants of a multi-tenant Entra app,
   * several user pools. The token's `iss` picks the entry; omitted members take `audience`, `clientIds` and
   * `tokenUse`. Either this or `issuer`/`jwksUri`/`cognitoUserPoolId`.
   * @default - one issuer, from `issuer` or `cognitoUserPoolId`
   */
  readonly issuers?: readonly IssuerEntry[];
  /**
   * Accepted OAuth client ids (`JWT_CLIENT_IDS`): Cognito access tokens carry `client_id` and no `aud`.
   * @default - any client
   */
  readonly clientIds?: readonly string[];
  /**
   * `JWT_TOKEN_USE`: `access`, `id` or `any`.
   * @default - the authorizer's default (`access`)
   */
  readonly tokenUse?: 'access' | 'id' | 'any';
  /**
   * `JWT_GROUPS_CLAIM`: claim name or dotted path of groups or roles.
   * @default - the first present of cognito:groups, groups, roles, permissions, realm_access.roles
   */
  readonly groupsClaim?: string;
  /**
   * Allowed JWS algorithms. HMAC algorithms are refused: their shared secret would have to be in the function's
   * environment, readable by anyone who can read the function configuration.
   * @default - the authorizer's default allow-list
   */
  readonly algorithms?: readonly string[];
  /**
   * Reject tokens issued longer ago than this.
   * @default - the authorizer's default
   */
  readonly maxTokenAge?: Duration;
  /**
   * Clock skew tolerated on `exp`, `nbf` and `iat`.
   * @default - the authorizer's default
   */
  readonly clockTolerance?: Duration;
  /**
   * Largest token, in bytes, the authorizer will parse.
   * @default - the authorizer's default
   */
  readonly maxBytes?: number;
}

/** Which API Gateway flavour the authorizer answers. */
export type AuthorizerKind = 'rest' | 'http';

/** Props for {@link GatewardenAuthorizer}. */
export interface GatewardenAuthorizerProps {
  /** `rest`: REQUEST authorizer returning IAM policies; `http`: HTTP API payload 2.0 simple responses. */
  readonly kind: AuthorizerKind;
  /** The Gatewarden table ({@link CountersTable}). */
  readonly table: dynamodb.ITableV2;
  readonly jwt: JwtSettings;
  /**
   * `shadow` scores and records but never denies on risk; `enforce` denies and blocks.
   * @default 'shadow'
   */
  readonly mode?: 'enforce' | 'shadow';
  /**
   * A JSON or YAML policy file. It is validated at synth (an invalid policy fails the synth, naming every bad
   * field), converted to JSON, and that JSON is bundled into the function package and read at cold start.
   * @default - the authorizer's built-in policy
   */
  readonly policyFile?: string;
  /**
   * Proxies in front of API Gateway that append to `X-Forwarded-For` (CloudFront counts as one). With 0 the client
   * IP is API Gateway's TCP peer and `X-Forwarded-For` is ignored, since clients can write it.
   * @default 0
   */
  readonly trustedProxyCount?: number;
  /**
   * Client-certificate subject DNs accepted over mutual TLS.
   * @default - any certificate the truststore accepted
   */
  readonly mtlsAllowedSubjects?: readonly string[];
  /**
   * Client-certificate issuer DNs accepted over mutual TLS.
   * @default - any
   */
  readonly mtlsAllowedIssuers?: readonly string[];
  /**
   * Every Region of the table when it is a global table (`GATEWARDEN_REGIONS`), this function's Region included.
   * Each Region then counts into its own copy of every counter item and reads the others' copies in the same round
   * trip, so replication (last writer wins per item) never loses a Region's counts.
   * @default - one Region: counter items are shared
   */
  readonly tableRegions?: readonly string[];
  /**
   * Memory in MB; the CPU share grows with it and signature checks are CPU-bound.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Function timeout. API Gateway gives HTTP API authorizers 10 s in total.
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer-managed key for the function's log group.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}

const HMAC = /^HS/i;

/**
 * A Gatewarden Lambda authorizer for REST (REQUEST type) or HTTP APIs, with the table grants it needs and
 * nothing more.
 *
 * Caching is off and there are no identity sources. Trade-off: API Gateway then calls the function for every
 * request, credentials or not, so every request is counted and scored (a cached result would hide the next 300 s of
 * a bot's traffic, and a missing identity source answers 401 without the function ever seeing the attempt). The
 * price is one Lambda invocation per request and the authorizer's latency on every call.
 *
 * @example
 * const authorizer = new GatewardenAuthorizer(this, 'Auth', { kind: 'rest', table, jwt: { issuer, audience, jwksUri } });
 * api.root.addMethod('GET', integration, { authorizer: authorizer.restAuthorizer() });
 */
export class GatewardenAuthorizer extends Construct {
  public readonly kind: AuthorizerKind;
  public readonly function: lambda.IFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  private restAuthorizerInstance?: apigw.RequestAuthorizer;

  constructor(scope: Construct, id: string, props: GatewardenAuthorizerProps) {
    super(scope, id);
    const policyJson = validate(this, props);
    this.kind = props.kind;

    const jwt = props.jwt;
    const environment: Record<string, string> = {
      // A user pool id derives issuer and key set in the function; the explicit pair otherwise.
      ...issuerEnvironment(jwt),
      ...(jwt.audience?.length ? { JWT_AUDIENCE: jwt.audience.join(',') } : {}),
      ...(jwt.clientIds?.length ? { JWT_CLIENT_IDS: jwt.clientIds.join(',') } : {}),
      ...(jwt.tokenUse ? { JWT_TOKEN_USE: jwt.tokenUse } : {}),
      ...(jwt.groupsClaim ? { JWT_GROUPS_CLAIM: jwt.groupsClaim } : {}),
      TRUSTED_PROXY_COUNT: String(props.trustedProxyCount ?? 0),
      GATEWARDEN_TABLE: props.table.tableName,
      GATEWARDEN_MODE: props.mode ?? 'shadow',
      ...tableRegionsEnvironment(this, props.tableRegions),
    };
    if (jwt.algorithms?.length) environment.JWT_ALGORITHMS = jwt.algorithms.join(',');
    if (jwt.maxTokenAge) environment.JWT_MAX_TOKEN_AGE_SECONDS = String(jwt.maxTokenAge.toSeconds());
    if (jwt.clockTolerance) environment.JWT_CLOCK_TOLERANCE_SECONDS = String(jwt.clockTolerance.toSeconds());
    if (jwt.maxBytes !== undefined) environment.JWT_MAX_BYTES = String(jwt.maxBytes);
    // Distinguished names contain commas, so lists of them are ';'-separated.
    if (props.mtlsAllowedSubjects?.length)
      environment.MTLS_ALLOWED_SUBJECTS = props.mtlsAllowedSubjects.join(';');
    if (props.mtlsAllowedIssuers?.length)
      environment.MTLS_ALLOWED_ISSUERS = props.mtlsAllowedIssuers.join(';');

    const fn = new GatewardenFunction(this, 'Handler', {
      entry: lambdaEntry(props.kind === 'rest' ? 'authorizer/rest.ts' : 'authorizer/http.ts'),
      description: `Gatewarden ${props.kind === 'rest' ? 'REST API REQUEST' : 'HTTP API'} authorizer`,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(5),
      environment,
      ...(policyJson !== undefined ? { bundledFile: writePolicyJson(policyJson) } : {}),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logEncryptionKey ? { encryptionKey: props.logEncryptionKey } : {}),
    });
    if (fn.bundledFilePath) fn.function.addEnvironment('GATEWARDEN_POLICY', fn.bundledFilePath);
    this.function = fn.function;
    this.role = fn.role;
    this.logGroup = fn.logGroup;

    // Counters are read and bumped in one UpdateItem; blocks and offences are put / updated. No Scan, no Delete.
    grantTableAccess(this.role, props.table, {
      table: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
    });
  }

  /**
   * The REST API REQUEST authorizer (created on first call; it may serve one REST API). No identity sources and a
   * zero TTL, so every request reaches the function.
   */
  public restAuthorizer(): apigw.RequestAuthorizer {
    if (this.kind !== 'rest')
      throw new PropsError(this, 'restAuthorizer() needs kind "rest"; this authorizer is for HTTP APIs');
    this.restAuthorizerInstance ??= new apigw.RequestAuthorizer(this, 'RestAuthorizer', {
      handler: this.function,
      identitySources: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    return this.restAuthorizerInstance;
  }

  /**
   * An HTTP API Lambda authorizer (payload 2.0, simple responses, caching off, no identity source). Create one per
   * HTTP API.
   */
  public httpAuthorizer(id = 'GatewardenHttpAuthorizer'): apigwv2auth.HttpLambdaAuthorizer {
    if (this.kind !== 'http')
      throw new PropsError(this, 'httpAuthorizer() needs kind "http"; this authorizer is for REST APIs');
    return new apigwv2auth.HttpLambdaAuthorizer(id, this.function, {
      responseTypes: [apigwv2auth.HttpLambdaResponseType.SIMPLE],
      identitySource: [],
      resultsCacheTtl: Duration.seconds(0),
    });
  }
}

/** DynamoDB actions to grant, on the table itself and on the active-blocks index. */
export interface TableActions {
  readonly table: readonly string[];
  readonly activeBlocksIndex?: readonly string[];
}

/**
 * Grants exactly `actions` on the table (and the named index), plus the KMS calls a customer-managed table key
 * needs. Written out instead of `table.grantReadWriteData()`, which adds Scan, DeleteItem and `index/*`.
 */
export function grantTableAccess(
  grantee: iam.IGrantable,
  table: dynamodb.ITableV2,
  actions: TableActions,
): void {
  if (actions.table.length > 0) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...actions.table], resources: [table.tableArn] }),
    );
  }
  if (actions.activeBlocksIndex?.length) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...actions.activeBlocksIndex],
        resources: [`${table.tableArn}/index/${ACTIVE_BLOCKS_INDEX}`],
      }),
    );
  }
  if (table.encryptionKey) {
    const writes = actions.table.some((a) => /Put|Update|BatchWrite|Delete/.test(a));
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'kms:Decrypt',
          'kms:DescribeKey',
          ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : []),
        ],
        resources: [table.encryptionKey.keyArn],
      }),
    );
  }
}

/** Checks the props and returns the policy file as JSON, if there is one; throws {@link PropsError} otherwise. */
function validate(scope: Construct, props: GatewardenAuthorizerProps): string | undefined {
  const problems: string[] = [];
  const { jwt } = props;
  if (jwt.issuers !== undefined) {
    problems.push(...issuersProblems(jwt));
  } else if (jwt.cognitoUserPoolId !== undefined) {
    if (jwt.issuer !== undefined || jwt.jwksUri !== undefined)
      problems.push('Either provide jwt.cognitoUserPoolId or jwt.issuer and jwt.jwksUri, but not both');
    if (
      !Token.isUnresolved(jwt.cognitoUserPoolId) &&
      !/^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/.test(jwt.cognitoUserPoolId)
    )
      problems.push(`jwt.cognitoUserPoolId must look like <region>_<id>, got "${jwt.cognitoUserPoolId}"`);
  } else {
    // The issuer is compared as a string, never fetched: it need not be a URL. The key set is fetched: https only.
    if (!jwt.issuer || jwt.issuer.trim() === '')
      problems.push('jwt.issuer is required (or jwt.cognitoUserPoolId)');
    if (!jwt.jwksUri || !isHttps(jwt.jwksUri))
      problems.push(`jwt.jwksUri must be an https URL, got "${jwt.jwksUri ?? ''}"`);
  }
  const audience = jwt.audience ?? [];
  const clientIds = jwt.clientIds ?? [];
  if (audience.some((a) => a.trim() === '') || clientIds.some((c) => c.trim() === ''))
    problems.push('jwt.audience and jwt.clientIds must not contain empty values');
  const entries: readonly Partial<IssuerEntry>[] = jwt.issuers ?? [{}];
  if (
    audience.length === 0 &&
    clientIds.length === 0 &&
    entries.some((e) => !e.audiences?.length && !e.clientIds?.length)
  )
    problems.push(
      'jwt.audience or jwt.clientIds must list at least one value (or every jwt.issuers entry its own)',
    );
  const hmac = (jwt.algorithms ?? []).filter((a) => HMAC.test(a));
  if (hmac.length > 0) {
    problems.push(
      `jwt.algorithms: ${hmac.join(', ')} not supported by this construct (an HMAC secret would sit in the function environment); use RS*/PS*/ES*/EdDSA`,
    );
  }
  const proxies = props.trustedProxyCount ?? 0;
  if (!Number.isInteger(proxies) || proxies < 0 || proxies > 10) {
    problems.push(`trustedProxyCount must be a whole number from 0 to 10, got ${proxies}`);
  }
  if (props.mode !== undefined && props.mode !== 'enforce' && props.mode !== 'shadow') {
    problems.push(`mode must be "enforce" or "shadow", got "${String(props.mode)}"`);
  }
  let policyJson: string | undefined;
  if (props.policyFile !== undefined && !/\.(json|ya?ml)$/i.test(props.policyFile)) {
    problems.push(`policyFile must be a .json, .yaml or .yml file, got "${props.policyFile}"`);
  } else if (props.policyFile !== undefined) {
    try {
      policyJson = compilePolicyFile(props.policyFile).json;
    } catch (error) {
      if (!isPolicyError(error)) throw error;
      problems.push(`policyFile: ${error.message}`);
    }
  }
  if (props.timeout && !props.timeout.isUnresolved() && props.timeout.toSeconds() > 10) {
    problems.push(
      'timeout must be at most 10 seconds (API Gateway stops waiting for an authorizer after that)',
    );
  }
  if (problems.length > 0) throw new PropsError(scope, problems.join('; '));
  return policyJson;
}

/**
 * Writes the compiled policy where the bundling step can copy it from. Outside the project and the cdk outdir: it
 * is an input of the bundle, not an artifact of its own.
 */
function writePolicyJson(json: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gatewarden-policy-')), BUNDLED_POLICY_NAME);
  writeFileSync(path, json);
  return path;
}

function isHttps(value: string): boolean {
  if (Token.isUnresolved(value)) return true; // a deploy-time value (parameter, import) is checked by the function
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The function's issuer variables: the list, a user pool (the function derives issuer and key set), or the pair. */
function issuerEnvironment(jwt: JwtSettings): Record<string, string> {
  if (jwt.issuers !== undefined) return { JWT_ISSUERS: JSON.stringify(jwt.issuers) };
  if (jwt.cognitoUserPoolId !== undefined) return { COGNITO_USER_POOL_ID: jwt.cognitoUserPoolId };
  return { JWT_ISSUER: jwt.issuer ?? '', JWKS_URI: jwt.jwksUri ?? '' };
}

/** `jwt.issuers` checked by the authorizer's own reader (what it would refuse fails synth), key sets https only. */
function issuersProblems(jwt: JwtSettings): string[] {
  const problems: string[] = [];
  if (jwt.issuer !== undefined || jwt.jwksUri !== undefined || jwt.cognitoUserPoolId !== undefined)
    problems.push('Either provide jwt.issuers or jwt.issuer/jwt.jwksUri/jwt.cognitoUserPoolId, not both');
  const parsed = parseIssuerEntries(jwt.issuers);
  for (const message of parsed.problems)
    problems.push(`jwt.issuers${message.startsWith('[') ? '' : ' '}${message}`);
  for (const [i, entry] of parsed.entries.entries()) {
    if (!isHttps(entry.jwksUri))
      problems.push(`jwt.issuers[${i}].jwksUri must be an https URL, got "${entry.jwksUri}"`);
  }
  return problems;
}

/**
 * `GATEWARDEN_REGIONS` for a function on a global table: the list of its Regions, which must include the function's
 * own (the stack's). Nothing for one Region.
 */
export function tableRegionsEnvironment(
  scope: Construct,
  regions: readonly string[] | undefined,
): { GATEWARDEN_REGIONS?: string } {
  if (!regions || regions.length < 2) return {};
  const own = Stack.of(scope).region;
  if (Token.isUnresolved(own))
    throw new PropsError(scope, 'tableRegions needs a stack with an explicit Region (env.region)');
  if (!regions.includes(own))
    throw new PropsError(
      scope,
      `tableRegions (${regions.join(', ')}) must include the stack's Region (${own}): list every Region of the table`,
    );
  return { GATEWARDEN_REGIONS: regions.join(',') };
}
