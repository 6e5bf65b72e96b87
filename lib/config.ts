import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type IssuerEntry, parseIssuerEntries, SUPPORTED_ALGORITHMS } from '../lambdas/identity/config';

/**
 * Gatewarden's deployment settings, read from CDK context (`-c key=value` or `cdk.json`) and validated at synth.
 *
 * Every problem is collected and reported at once in a {@link ConfigError} naming the context key and the fix, so a
 * user fixes a bad command line in one round instead of one key per synth.
 */

/** Where the user asked the CMK to come from. */
export type KmsKeyChoice =
  | { readonly kind: 'aws-managed' }
  | { readonly kind: 'create' }
  | { readonly kind: 'import'; readonly arn: string };

/** A REST API method to protect, as API Gateway names it. */
export interface RestMethodRef {
  /** The resource id (`aws apigateway get-resources`), e.g. `a1b2c3`. */
  readonly resourceId: string;
  /** Upper-case HTTP method or `ANY`. */
  readonly httpMethod: string;
}

/** An existing REST API to attach to. */
export interface ExistingRestApi {
  readonly id: string;
  readonly stage: string;
  readonly methods: readonly RestMethodRef[];
}

/** An existing HTTP API to attach to. */
export interface ExistingHttpApi {
  readonly id: string;
  readonly stage: string;
  /** Route ids (`aws apigatewayv2 get-routes`). */
  readonly routeIds: readonly string[];
  /** True when the stage deploys itself; no explicit deployment is created then. */
  readonly autoDeploy: boolean;
}

/** An optional custom domain in front of the demo APIs. */
export interface CustomDomainConfig {
  readonly domainName: string;
  /** ACM certificate in the stack's Region. */
  readonly certificateArn: string;
  /** `s3://bucket/key` of a PEM truststore: turns on mutual TLS. */
  readonly truststoreUri?: string;
  readonly truststoreVersion?: string;
}

/** The whole, validated configuration. */
export interface GatewardenConfig {
  /** `demo` creates a REST and an HTTP API; `attach` protects the APIs named by restApiId / httpApiId. */
  readonly target: 'demo' | 'attach';
  readonly stackName: string;
  readonly account?: string;
  readonly region?: string;
  readonly jwt: {
    readonly issuer: string;
    readonly audience: readonly string[];
    readonly jwksUri: string;
    /** Set when the issuer and key set were derived from a Cognito user pool (`-c cognitoUserPoolId=...`). */
    readonly cognitoUserPoolId?: string;
    readonly clientIds: readonly string[];
    /** Several issuers (`-c issuers=<JSON>`, the function's `JWT_ISSUERS`); then `issuer` and `jwksUri` are empty. */
    readonly issuers?: readonly IssuerEntry[];
    readonly tokenUse?: 'access' | 'id' | 'any';
    readonly groupsClaim?: string;
    readonly algorithms: readonly string[];
    readonly maxTokenAgeSeconds?: number;
    readonly clockToleranceSeconds?: number;
    readonly maxBytes?: number;
  };
  /** True when the JWT settings are the demo's placeholders (nothing verifies: every request gets 401). */
  readonly usingDemoIssuer: boolean;
  readonly mode: 'enforce' | 'shadow';
  /** Absolute path of the policy file (JSON or YAML), validated at synth and bundled into the authorizer as JSON. */
  readonly policyFile?: string;
  readonly alarmEmail?: string;
  readonly trustedProxyCount: number;
  readonly mtlsAllowedSubjects: readonly string[];
  readonly mtlsAllowedIssuers: readonly string[];
  readonly restApi?: ExistingRestApi;
  readonly httpApi?: ExistingHttpApi;
  readonly replicaRegions: readonly string[];
  readonly replicaKeyArns: Readonly<Record<string, string>>;
  readonly customDomain?: CustomDomainConfig;
  readonly kmsKey: KmsKeyChoice;
  readonly managedRules: boolean;
  readonly logRetentionDays: number;
  /**
   * Create the Region's API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`, one per account and Region, needed
   * for REST access logs). Unset: the stack's default (demo: create; attach: do not create).
   */
  readonly apiGatewayLogRole?: boolean;
}

/**
 * The issuer and key-set URL of a Cognito user pool, as "Verifying a JSON Web Token" (Amazon Cognito Developer
 * Guide) gives them: `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` and its `/.well-known/jwks.json`.
 * The region is the pool id's prefix. Undefined for a malformed id.
 */
export function cognitoIssuer(userPoolId: string): { issuer: string; jwksUri: string } | undefined {
  const region = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/.exec(userPoolId)?.[1];
  if (region === undefined) return undefined;
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
  return { issuer, jwksUri: `${issuer}/.well-known/jwks.json` };
}

/** Every context key Gatewarden reads, with its meaning (the README table is written from the same list). */
export const CONTEXT_KEYS = {
  stackName: 'Stack name. Default `Gatewarden` (demo) or `GatewardenAttach` (attach).',
  account: 'Target account id. Default: `CDK_DEFAULT_ACCOUNT`, else environment-agnostic.',
  region:
    'Target Region. Default: `CDK_DEFAULT_REGION`, else environment-agnostic. Required with replicaRegions.',
  issuer:
    'JWT `iss` to require, exactly as the provider writes it (need not be a URL). Required when attaching (or `cognitoUserPoolId`); the demo uses a placeholder.',
  audience:
    'JWT `aud` values to accept, comma-separated. Required when attaching, unless `cognitoClientIds` is set.',
  jwksUri: 'HTTPS URL of the issuer JWKS. Required with `issuer`.',
  cognitoUserPoolId:
    'Amazon Cognito user pool id (`<region>_<id>`), in place of `issuer`, `jwksUri` and `audience` (the function gets `COGNITO_USER_POOL_ID`).',
  cognitoClientIds:
    'Accepted app client ids, comma-separated (`JWT_CLIENT_IDS`; Cognito access tokens carry `client_id`, no `aud`). Works with any issuer.',
  clientIds: 'Same as `cognitoClientIds`, under a name that fits every provider (give one of the two).',
  issuers:
    'Several issuers (`JWT_ISSUERS`): a JSON array of `{"issuer","jwksUri","audiences"?,"clientIds"?,"tokenUse"?}`, in place of `issuer`/`jwksUri`/`cognitoUserPoolId` (Google\'s two `iss` values, Entra tenants, several user pools).',
  jwtTokenUse: '`access`, `id` or `any` (`JWT_TOKEN_USE`). Default: the authorizer default, `access`.',
  jwtGroupsClaim:
    'Claim (or dotted path) holding groups or roles (`JWT_GROUPS_CLAIM`). Default: the authorizer default.',
  jwtAlgorithms: 'Allowed JWS algorithms, comma-separated. Default `RS256,ES256`. HMAC (HS*) is refused.',
  jwtMaxTokenAgeSeconds: 'Reject tokens whose `iat` is older than this. Default: the authorizer default.',
  jwtClockToleranceSeconds: 'Clock skew allowed on `exp`/`nbf`/`iat`. Default: the authorizer default.',
  jwtMaxBytes: 'Largest token accepted. Default: the authorizer default.',
  mode: '`enforce` or `shadow` (score and record, never deny). Default `shadow`.',
  policyFile:
    'JSON or YAML policy file, validated at synth and bundled into the authorizer as JSON. Default: built-in policy.',
  alarmEmail: 'E-mail address subscribed to the alarm topic. Default: none (subscribe yourself).',
  trustedProxyCount: 'Proxies in front of API Gateway that append to X-Forwarded-For (0-10). Default 0.',
  mtlsAllowedSubjects: 'Client-certificate subject DNs to accept, `;`-separated. Default: any.',
  mtlsAllowedIssuers: 'Client-certificate issuer DNs to accept, `;`-separated. Default: any.',
  restApiId: 'Existing REST API id to attach to (switches to the attach stack).',
  restApiStage: 'Stage of restApiId. Required with restApiId.',
  restApiMethods: 'Methods to protect: `resourceId:METHOD` pairs, comma-separated. Required with restApiId.',
  httpApiId: 'Existing HTTP API id to attach to (switches to the attach stack).',
  httpApiStage: 'Stage of httpApiId. Default `$default`.',
  httpApiRoutes: 'Route ids to protect, comma-separated. Required with httpApiId.',
  httpApiAutoDeploy:
    '`true` when the HTTP API stage auto-deploys (no deployment is created). Default `false`.',
  replicaRegions: 'Extra Regions for the table (global table), comma-separated. Default: none.',
  replicaKeyArns: 'With a customer-managed key and replicas: `region=keyArn` pairs, comma-separated.',
  domainName: 'Custom domain for the demo REST API (TLS 1.2). Needs certificateArn.',
  certificateArn: 'ACM certificate ARN for domainName, in the stack Region.',
  mtlsTruststoreUri: '`s3://bucket/key.pem` truststore: turns on mutual TLS on domainName.',
  mtlsTruststoreVersion: 'S3 object version of the truststore. Default: latest.',
  kmsKey: '`aws-managed` (default), `create` (a new rotating CMK) or a KMS key ARN. A CMK needs `region`.',
  managedRules:
    'Add AWS managed rule groups (known bad inputs, SQLi, IP reputation) to the web ACL. Default `true`.',
  logRetentionDays: 'Retention of Lambda and access log groups, a CloudWatch-allowed value. Default 30.',
  apiGatewayLogRole:
    'Create the API Gateway CloudWatch Logs role for the account and Region (REST access logs need it; one per Region, retained when the stack goes). Default `true` for the demo, `false` when attaching.',
} as const;

/** A context key Gatewarden knows. */
export type ContextKey = keyof typeof CONTEXT_KEYS;

/** Synth-time configuration errors, all of them. */
export class ConfigError extends Error {
  public readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      `Gatewarden configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Type guard for {@link ConfigError}. */
export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof Error && error.name === 'ConfigError';
}

const DEMO_JWT = {
  issuer: 'https://issuer.example.com/',
  audience: ['gatewarden-demo'],
  jwksUri: 'https://issuer.example.com/.well-known/jwks.json',
};

/** Log retention values CloudWatch accepts. */
const RETENTION_DAYS = new Set([
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
]);
/** The verifier's algorithms without HMAC: a deployment's shared secret never goes in synthesized context. */
const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set(SUPPORTED_ALGORITHMS.filter((a) => a !== 'HS256'));
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'ANY']);
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;
const ACM_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const API_ID = /^[a-z0-9]{10}$/;
const STAGE = /^(\$default|[A-Za-z0-9_-]{1,128})$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Reads context values by key; `node.tryGetContext` bound to the app. */
export type ContextReader = (key: string) => unknown;

/**
 * Reads and validates the configuration.
 * @param context reads a context value (`(key) => app.node.tryGetContext(key)`)
 * @param env process environment (for `CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`)
 * @param cwd directory a relative policyFile is resolved against
 * @throws ConfigError listing every problem
 */
export function readConfig(
  context: ContextReader,
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd: string = process.cwd(),
): GatewardenConfig {
  const problems: string[] = [];
  const r = new Reader(context, problems);

  const restApiId = r.string('restApiId');
  const httpApiId = r.string('httpApiId');
  const target: 'demo' | 'attach' = restApiId || httpApiId ? 'attach' : 'demo';

  // JWT: required when attaching to a real API; the demo stands in placeholders so `cdk synth` works bare.
  const cognitoUserPoolId = r.string('cognitoUserPoolId');
  if (r.present('clientIds') && r.present('cognitoClientIds'))
    problems.push('clientIds: give clientIds or cognitoClientIds, not both (they are the same setting)');
  const clientIds = r.present('clientIds') ? r.list('clientIds') : r.list('cognitoClientIds');
  const issuers = readIssuers(r, problems);
  const tokenUse = r.string('jwtTokenUse');
  const groupsClaim = r.string('jwtGroupsClaim');
  const cognito = cognitoUserPoolId ? cognitoIssuer(cognitoUserPoolId) : undefined;
  const issuer = r.string('issuer') ?? cognito?.issuer;
  const audience = r.list('audience');
  const jwksUri = r.string('jwksUri') ?? cognito?.jwksUri;
  const usingDemoIssuer =
    target === 'demo' &&
    !issuer &&
    !jwksUri &&
    !r.present('issuers') &&
    audience.length === 0 &&
    clientIds.length === 0;
  if (cognitoUserPoolId && !cognito)
    problems.push(
      `cognitoUserPoolId: "${cognitoUserPoolId}" is not a user pool id (<region>_<id>, e.g. eu-west-1_AbCdEf123)`,
    );
  if (cognitoUserPoolId && (r.string('issuer') || r.string('jwksUri')))
    problems.push('cognitoUserPoolId: give either cognitoUserPoolId or issuer and jwksUri, not both');
  if (issuers && (issuer || jwksUri))
    problems.push('issuers: give either issuers or issuer/jwksUri/cognitoUserPoolId, not both');
  if (!usingDemoIssuer && !r.present('issuers')) {
    if (!issuer)
      problems.push(
        'issuer: required (the JWT `iss` your identity provider sets), e.g. -c issuer=https://idp.example.com/ (or -c cognitoUserPoolId=...)',
      );
    if (audience.length === 0 && clientIds.length === 0)
      problems.push(
        'audience: required (the JWT `aud` your API expects), e.g. -c audience=my-api, or -c cognitoClientIds=<app client id>',
      );
    if (!jwksUri)
      problems.push(
        'jwksUri: required (the HTTPS URL of the issuer key set), e.g. -c jwksUri=https://idp.example.com/.well-known/jwks.json',
      );
  }
  // The issuer is compared as a string, never fetched (Google's is `accounts.google.com`); the key set is fetched.
  if (jwksUri && !isHttpsUrl(jwksUri)) problems.push(`jwksUri: "${jwksUri}" is not an https:// URL`);
  if (tokenUse && !['access', 'id', 'any'].includes(tokenUse))
    problems.push(`jwtTokenUse: "${tokenUse}" must be access, id or any`);

  const algorithms = r.list('jwtAlgorithms');
  for (const alg of algorithms) {
    if (/^HS/i.test(alg)) {
      problems.push(
        `jwtAlgorithms: ${alg} is not supported by the CDK app (an HMAC secret would have to sit in the function environment); use an asymmetric algorithm`,
      );
    } else if (!ASYMMETRIC_ALGORITHMS.has(alg)) {
      problems.push(
        `jwtAlgorithms: unknown algorithm "${alg}"; allowed: ${[...ASYMMETRIC_ALGORITHMS].join(', ')}`,
      );
    }
  }

  const mode = r.string('mode') ?? 'shadow';
  if (mode !== 'enforce' && mode !== 'shadow') problems.push(`mode: "${mode}" must be "enforce" or "shadow"`);

  let policyFile = r.string('policyFile');
  if (policyFile) {
    policyFile = isAbsolute(policyFile) ? policyFile : resolve(cwd, policyFile);
    if (!existsSync(policyFile)) problems.push(`policyFile: ${policyFile} does not exist`);
    else if (!/\.(json|ya?ml)$/i.test(policyFile))
      problems.push('policyFile: must end in .json, .yaml or .yml');
  }

  const alarmEmail = r.string('alarmEmail');
  if (alarmEmail && !EMAIL.test(alarmEmail))
    problems.push(`alarmEmail: "${alarmEmail}" is not an e-mail address`);

  const trustedProxyCount = r.integer('trustedProxyCount', 0, 10) ?? 0;

  // Existing APIs.
  let restApi: ExistingRestApi | undefined;
  if (restApiId) {
    if (!API_ID.test(restApiId))
      problems.push(`restApiId: "${restApiId}" is not an API Gateway id (10 lower-case letters/digits)`);
    const stage = r.string('restApiStage');
    if (!stage) problems.push('restApiStage: required with restApiId, e.g. -c restApiStage=prod');
    else if (!STAGE.test(stage)) problems.push(`restApiStage: "${stage}" is not a stage name`);
    const methods: RestMethodRef[] = [];
    const raw = r.list('restApiMethods');
    if (raw.length === 0)
      problems.push('restApiMethods: required with restApiId, e.g. -c restApiMethods=a1b2c3:GET,d4e5f6:POST');
    for (const entry of raw) {
      const [resourceId, method, extra] = entry.split(':');
      const httpMethod = method?.toUpperCase() ?? '';
      if (
        !resourceId ||
        !/^[a-z0-9]{1,12}$/.test(resourceId) ||
        !HTTP_METHODS.has(httpMethod) ||
        extra !== undefined
      ) {
        problems.push(
          `restApiMethods: "${entry}" must be resourceId:METHOD (METHOD one of ${[...HTTP_METHODS].join(', ')})`,
        );
      } else if (methods.some((m) => m.resourceId === resourceId && m.httpMethod === httpMethod)) {
        // The attach stack names each method's resources after it: one entry per method.
        problems.push(`restApiMethods: "${entry}" is listed twice`);
      } else {
        methods.push({ resourceId, httpMethod });
      }
    }
    restApi = { id: restApiId, stage: stage ?? '', methods };
  } else {
    for (const key of ['restApiStage', 'restApiMethods'] as const) {
      if (r.present(key)) problems.push(`${key}: given without restApiId`);
    }
  }

  let httpApi: ExistingHttpApi | undefined;
  if (httpApiId) {
    if (!API_ID.test(httpApiId))
      problems.push(`httpApiId: "${httpApiId}" is not an API Gateway id (10 lower-case letters/digits)`);
    const stage = r.string('httpApiStage') ?? '$default';
    if (!STAGE.test(stage)) problems.push(`httpApiStage: "${stage}" is not a stage name`);
    const routeIds = r.list('httpApiRoutes');
    if (routeIds.length === 0)
      problems.push('httpApiRoutes: required with httpApiId, e.g. -c httpApiRoutes=abc1234,def5678');
    routeIds.forEach((id, i) => {
      if (!/^[a-z0-9]{1,12}$/.test(id)) problems.push(`httpApiRoutes: "${id}" is not a route id`);
      else if (routeIds.indexOf(id) !== i) problems.push(`httpApiRoutes: "${id}" is listed twice`);
    });
    httpApi = { id: httpApiId, stage, routeIds, autoDeploy: r.boolean('httpApiAutoDeploy') ?? false };
  } else {
    for (const key of ['httpApiStage', 'httpApiRoutes', 'httpApiAutoDeploy'] as const) {
      if (r.present(key)) problems.push(`${key}: given without httpApiId`);
    }
  }

  // Environment.
  const account = r.string('account') ?? env.CDK_DEFAULT_ACCOUNT;
  const region = r.string('region') ?? env.CDK_DEFAULT_REGION;
  if (account && !/^\d{12}$/.test(account))
    problems.push(`account: "${account}" is not a 12-digit account id`);
  if (region && !REGION.test(region)) problems.push(`region: "${region}" is not a Region name`);

  const replicaRegions = r.list('replicaRegions');
  for (const rr of replicaRegions) {
    if (!REGION.test(rr)) problems.push(`replicaRegions: "${rr}" is not a Region name`);
    if (rr === region)
      problems.push(`replicaRegions: ${rr} is the stack's own Region; list only the other Regions`);
  }
  if (new Set(replicaRegions).size !== replicaRegions.length)
    problems.push('replicaRegions: a Region is listed twice');
  if (replicaRegions.length > 0 && !region) {
    problems.push(
      'replicaRegions: needs an explicit stack Region; pass -c region=<region> (or set CDK_DEFAULT_REGION)',
    );
  }

  const kmsRaw = r.string('kmsKey') ?? 'aws-managed';
  let kmsKey: KmsKeyChoice = { kind: 'aws-managed' };
  if (kmsRaw === 'create') kmsKey = { kind: 'create' };
  else if (KMS_KEY_ARN.test(kmsRaw)) kmsKey = { kind: 'import', arn: kmsRaw };
  else if (kmsRaw !== 'aws-managed')
    problems.push(`kmsKey: "${kmsRaw}" must be aws-managed, create, or a KMS key ARN`);

  if (kmsKey.kind !== 'aws-managed' && !region) {
    problems.push(
      'kmsKey: a customer-managed table key needs an explicit stack Region; pass -c region=<region> (or set CDK_DEFAULT_REGION)',
    );
  }

  const replicaKeyArns: Record<string, string> = {};
  for (const pair of r.list('replicaKeyArns')) {
    const eq = pair.indexOf('=');
    const keyRegion = pair.slice(0, eq);
    const arn = pair.slice(eq + 1);
    if (eq < 0 || !REGION.test(keyRegion) || !KMS_KEY_ARN.test(arn)) {
      problems.push(`replicaKeyArns: "${pair}" must be region=arn:aws:kms:<region>:<account>:key/<id>`);
    } else {
      replicaKeyArns[keyRegion] = arn;
    }
  }
  if (kmsKey.kind !== 'aws-managed') {
    const missing = replicaRegions.filter((rr) => !replicaKeyArns[rr]);
    if (missing.length > 0) {
      problems.push(
        `replicaKeyArns: a customer-managed table key is Regional; give a key for each replica Region (missing: ${missing.join(', ')})`,
      );
    }
  }

  // Custom domain and mutual TLS.
  const domainName = r.string('domainName');
  const certificateArn = r.string('certificateArn');
  const truststoreUri = r.string('mtlsTruststoreUri');
  const truststoreVersion = r.string('mtlsTruststoreVersion');
  let customDomain: CustomDomainConfig | undefined;
  if (domainName || certificateArn || truststoreUri) {
    if (target !== 'demo')
      problems.push(
        'domainName: custom domains are configured on the demo stack only; map your own domain to your API',
      );
    if (!domainName) problems.push('domainName: required with certificateArn or mtlsTruststoreUri');
    else if (!DOMAIN.test(domainName))
      problems.push(`domainName: "${domainName}" is not a lower-case DNS name`);
    if (!certificateArn)
      problems.push('certificateArn: required with domainName (an ACM certificate in the stack Region)');
    else if (!ACM_ARN.test(certificateArn))
      problems.push(`certificateArn: "${certificateArn}" is not an ACM certificate ARN`);
    if (truststoreUri && !/^s3:\/\/[a-z0-9.-]{3,63}\/.+/.test(truststoreUri)) {
      problems.push(`mtlsTruststoreUri: "${truststoreUri}" must be s3://bucket/key`);
    }
    if (domainName && certificateArn) {
      customDomain = {
        domainName,
        certificateArn,
        ...(truststoreUri ? { truststoreUri } : {}),
        ...(truststoreVersion ? { truststoreVersion } : {}),
      };
    }
  }
  if (truststoreVersion && !truststoreUri)
    problems.push('mtlsTruststoreVersion: given without mtlsTruststoreUri');

  const apiGatewayLogRole = r.boolean('apiGatewayLogRole');
  const logRetentionDays = r.integer('logRetentionDays', 1, 3653) ?? 30;
  if (!RETENTION_DAYS.has(logRetentionDays)) {
    problems.push(
      `logRetentionDays: ${logRetentionDays} is not a CloudWatch retention value (${[...RETENTION_DAYS].join(', ')})`,
    );
  }

  const config: GatewardenConfig = {
    target,
    stackName: r.string('stackName') ?? (target === 'demo' ? 'Gatewarden' : 'GatewardenAttach'),
    ...(account ? { account } : {}),
    ...(region ? { region } : {}),
    jwt: {
      issuer: usingDemoIssuer ? DEMO_JWT.issuer : (issuer ?? ''),
      audience: usingDemoIssuer ? DEMO_JWT.audience : audience,
      jwksUri: usingDemoIssuer ? DEMO_JWT.jwksUri : (jwksUri ?? ''),
      ...(cognito && cognitoUserPoolId ? { cognitoUserPoolId } : {}),
      clientIds,
      ...(issuers ? { issuers } : {}),
      ...(tokenUse ? { tokenUse: tokenUse as 'access' | 'id' | 'any' } : {}),
      ...(groupsClaim ? { groupsClaim } : {}),
      algorithms: algorithms.length > 0 ? algorithms : ['RS256', 'ES256'],
      ...optional('maxTokenAgeSeconds', r.integer('jwtMaxTokenAgeSeconds', 1, 31_536_000)),
      ...optional('clockToleranceSeconds', r.integer('jwtClockToleranceSeconds', 0, 300)),
      ...optional('maxBytes', r.integer('jwtMaxBytes', 256, 10_240)),
    },
    usingDemoIssuer,
    mode: mode === 'enforce' ? 'enforce' : 'shadow',
    ...(policyFile ? { policyFile } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    trustedProxyCount,
    mtlsAllowedSubjects: r.list('mtlsAllowedSubjects', ';'),
    mtlsAllowedIssuers: r.list('mtlsAllowedIssuers', ';'),
    ...(restApi ? { restApi } : {}),
    ...(httpApi ? { httpApi } : {}),
    replicaRegions,
    replicaKeyArns,
    ...(customDomain ? { customDomain } : {}),
    kmsKey,
    managedRules: r.boolean('managedRules') ?? true,
    logRetentionDays,
    ...(apiGatewayLogRole !== undefined ? { apiGatewayLogRole } : {}),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * `-c issuers=<JSON array>` (or a list in cdk.json), read by the authorizer's own `JWT_ISSUERS` reader. Undefined
 * when absent or invalid (the problems name it).
 */
function readIssuers(r: Reader, problems: string[]): readonly IssuerEntry[] | undefined {
  if (!r.present('issuers')) return undefined;
  const raw = r.raw('issuers');
  let document: unknown = raw;
  if (typeof raw === 'string') {
    try {
      document = JSON.parse(raw);
    } catch {
      problems.push(
        'issuers: is not JSON; give a JSON array, e.g. -c issuers=\'[{"issuer":"...","jwksUri":"https://..."}]\'',
      );
      return undefined;
    }
  }
  const parsed = parseIssuerEntries(document);
  for (const message of parsed.problems)
    problems.push(`issuers${message.startsWith('[') ? '' : ': '}${message}`);
  parsed.entries.forEach((entry, i) => {
    if (!isHttpsUrl(entry.jwksUri))
      problems.push(`issuers[${i}].jwksUri: "${entry.jwksUri}" is not an https:// URL`);
  });
  return parsed.problems.length === 0 ? parsed.entries : undefined;
}

/** Typed context getters; CLI values arrive as strings, cdk.json values as JSON types. */
class Reader {
  constructor(
    private readonly context: ContextReader,
    private readonly problems: string[],
  ) {}

  present(key: ContextKey): boolean {
    const v = this.context(key);
    return v !== undefined && v !== null && v !== '';
  }

  raw(key: ContextKey): unknown {
    return this.context(key);
  }

  string(key: ContextKey): string | undefined {
    const v = this.context(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      this.problems.push(`${key}: expected a string, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v.trim();
  }

  list(key: ContextKey, separator = ','): string[] {
    const v = this.context(key);
    if (v === undefined || v === null || v === '') return [];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
      return v.map((x) => x.trim()).filter(Boolean);
    if (typeof v === 'string')
      return v
        .split(separator)
        .map((x) => x.trim())
        .filter(Boolean);
    this.problems.push(`${key}: expected a ${separator}-separated string or a list of strings`);
    return [];
  }

  integer(key: ContextKey, min: number, max: number): number | undefined {
    const v = this.context(key);
    if (v === undefined || v === null || v === '') return undefined;
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${key}: ${JSON.stringify(v)} must be a whole number from ${min} to ${max}`);
      return undefined;
    }
    return n;
  }

  boolean(key: ContextKey): boolean | undefined {
    const v = this.context(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    this.problems.push(`${key}: ${JSON.stringify(v)} must be true or false`);
    return undefined;
  }
}
