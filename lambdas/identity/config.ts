import * as z from '../shared/schema';
import { IdentityConfigError } from './errors';

/** Signature algorithms the verifier can be configured for. `none` is never one of them. */
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'HS256',
] as const;

/** One of {@link SUPPORTED_ALGORITHMS}. */
export type JwtAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** Query-string parameter names that carry credentials by default (matched case-insensitively). */
export const DEFAULT_PRIMITIVE_AUTH_QUERY_PARAMS = [
  'access_token',
  'id_token',
  'api_key',
  'apikey',
  'password',
] as const;

/** Which tokens an issuer entry accepts: `JWT_TOKEN_USE`. */
export type TokenUse = 'access' | 'id' | 'any';

/** One accepted issuer with its own key set and audience rules (`JWT_ISSUERS` entries, or the single issuer). */
export interface IssuerConfig {
  /** The exact `iss` value; need not be a URL (Google's `accounts.google.com`). */
  readonly issuer: string;
  /** HTTPS, or HTTP on a loopback host for local use. */
  readonly jwksUri: string;
  /** Accepted `aud` values; may be empty when `clientIds` is not. */
  readonly audiences: readonly string[];
  /** Accepted client ids (`client_id`, `azp`, `cid` or `appid`); empty: any client. */
  readonly clientIds: readonly string[];
  readonly tokenUse: TokenUse;
}

/** The authorizer's identity configuration, read once per container from the environment. */
export interface IdentityConfig {
  /** The first (or only) issuer: `JWT_ISSUER`, derived from `COGNITO_USER_POOL_ID`, or `JWT_ISSUERS[0]`. */
  readonly issuer: string;
  /** The first issuer's `JWKS_URI`: HTTPS, or HTTP on a loopback host for local use. */
  readonly jwksUri: string;
  /** `JWT_AUDIENCE`: a token is accepted when its `aud` contains at least one of these. */
  readonly audiences: readonly string[];
  /** Every accepted issuer, each with its own key set; one entry unless `JWT_ISSUERS` lists more. */
  readonly issuers: readonly IssuerConfig[];
  /** `JWT_CLIENT_IDS` @default [] (any client) */
  readonly clientIds: readonly string[];
  /** `JWT_TOKEN_USE` @default 'access' */
  readonly tokenUse: TokenUse;
  /** `JWT_GROUPS_CLAIM`: a claim name or dotted path @default undefined (the first present of {@link DEFAULT_GROUPS_CLAIMS}) */
  readonly groupsClaim: string | undefined;
  /** `JWT_ALGORITHMS` @default ['RS256', 'ES256'] */
  readonly algorithms: readonly JwtAlgorithm[];
  /** `JWT_HMAC_SECRET` as bytes; HS256 is usable only when this is set and HS256 is listed. */
  readonly hmacSecret: Uint8Array | undefined;
  /** `JWT_MAX_TOKEN_AGE_SECONDS` @default undefined (no limit; `iat` then optional) */
  readonly maxTokenAgeSeconds: number | undefined;
  /** `JWT_CLOCK_TOLERANCE_SECONDS` @default 30 */
  readonly clockToleranceSeconds: number;
  /** `JWT_MAX_BYTES` @default 10240 (API Gateway's cap on the request line and headers together) */
  readonly maxTokenBytes: number;
  /** `TRUSTED_PROXY_COUNT` @default 0 */
  readonly trustedProxyCount: number;
  /** `MTLS_ALLOWED_SUBJECTS` (`;`-separated DNs, exact match) @default undefined (any subject) */
  readonly mtlsAllowedSubjects: readonly string[] | undefined;
  /** `MTLS_ALLOWED_ISSUERS` (`;`-separated DNs, exact match) @default undefined (any issuer) */
  readonly mtlsAllowedIssuers: readonly string[] | undefined;
  /** `PRIMITIVE_AUTH_QUERY_PARAMS` (comma-separated; empty string disables) @default the five of {@link DEFAULT_PRIMITIVE_AUTH_QUERY_PARAMS} */
  readonly primitiveAuthQueryParams: readonly string[];
  /** `JWKS_FETCH_TIMEOUT_MS` @default 1500 */
  readonly jwksFetchTimeoutMs: number;
  /** `JWKS_MAX_BYTES`: response-size cap @default 65536 */
  readonly jwksMaxBytes: number;
  /** `JWKS_REFETCH_COOLDOWN_SECONDS`: at most one fetch per this interval after the first @default 10 */
  readonly jwksRefetchCooldownSeconds: number;
  /** `JWKS_CACHE_TTL_SECONDS`: keys are refreshed (in the request path) after this age @default 600 */
  readonly jwksCacheTtlSeconds: number;
}

/**
 * Where groups or roles are looked for when `JWT_GROUPS_CLAIM` is unset, first present wins: Cognito, Okta / Entra
 * / Auth0 (a custom `groups` claim), Entra app roles, Auth0 RBAC permissions, Keycloak realm roles.
 */
export const DEFAULT_GROUPS_CLAIMS = [
  'cognito:groups',
  'groups',
  'roles',
  'permissions',
  'realm_access.roles',
] as const;

/**
 * The default `JWT_MAX_BYTES`: API Gateway caps the request line and all header values together at 10,240 bytes
 * (REST and HTTP APIs alike: "Quotas for configuring and running an HTTP API in API Gateway", "Amazon API Gateway
 * quotas for configuring and running a REST API", API Gateway Developer Guide), so no token it forwards is larger.
 */
export const DEFAULT_MAX_TOKEN_BYTES = 10_240;

/** True for hosts that never leave the machine: `localhost`, 127.0.0.0/8 and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

const csv = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const dnList = (value: string): string[] =>
  value
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const intVar = (min: number, max: number) =>
  z.pipe(
    z.pipe(
      z.string().check(z.trim(), z.regex(/^\d+$/, { error: 'must be a whole number' })),
      z.transform(Number),
    ),
    z
      .number()
      .check(
        z.int(),
        z.minimum(min, { error: `must be at least ${min}` }),
        z.maximum(max, { error: `must be at most ${max}` }),
      ),
  );

const isRequired = { error: 'is required' };

/** A JWKS URL check shared by `JWKS_URI` and `JWT_ISSUERS[].jwksUri`; undefined when acceptable. */
export function jwksUriProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'is not a URL';
  const url = new URL(value);
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))))
    return 'must use https (http is accepted only on a loopback host)';
  if (url.username !== '' || url.password !== '') return 'must not embed credentials';
  return undefined;
}

const tokenUseSchema = z.enum(['access', 'id', 'any'], { error: 'must be access, id or any' });

/** One `JWT_ISSUERS` entry; unknown keys are refused so a typo (`audience`) never silently does nothing. */
const issuerEntrySchema = z.strictObject({
  issuer: z.string().check(z.minLength(1, isRequired), z.maxLength(512)),
  jwksUri: z.string().check(
    z.minLength(1, isRequired),
    z.refine((value) => jwksUriProblem(value) === undefined, {
      error: (issue) => `jwksUri ${jwksUriProblem(String(issue.input))}`,
    }),
  ),
  audiences: z.optional(z.array(z.string().check(z.minLength(1)))),
  clientIds: z.optional(z.array(z.string().check(z.minLength(1)))),
  tokenUse: z.optional(tokenUseSchema),
});
const issuersSchema = z
  .array(issuerEntrySchema)
  .check(z.minLength(1, { error: 'must list at least one issuer' }));

/** One `JWT_ISSUERS` entry as written: omitted members take the single-issuer variables' values. */
export interface IssuerEntry {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audiences?: readonly string[];
  readonly clientIds?: readonly string[];
  readonly tokenUse?: TokenUse;
}

/**
 * Reads a `JWT_ISSUERS` document (already JSON-parsed). The CDK app checks its `issuers` context with this same
 * function, so a list the authorizer would refuse fails at synth. Problems are `[index].member: message`.
 */
export function parseIssuerEntries(document: unknown): {
  entries: readonly IssuerEntry[];
  problems: readonly string[];
} {
  const parsed = issuersSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return where ? `${where}: ${issue.message}` : issue.message;
    });
    return { entries: [], problems };
  }
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const entry of parsed.data) {
    if (seen.has(entry.issuer)) problems.push(`lists ${entry.issuer} twice`);
    seen.add(entry.issuer);
  }
  return { entries: parsed.data, problems };
}

/** Cognito user pool ids are `<region>_<id>`, e.g. `eu-west-1_AbCdEf123`. */
const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/;

/** How to fix each variable; appended to its error message. */
const FIXES: Readonly<Record<string, string>> = {
  JWT_ISSUER:
    'set it to the exact `iss` value your identity provider puts in tokens (or set COGNITO_USER_POOL_ID, or JWT_ISSUERS)',
  JWKS_URI: 'set it to the issuer key-set URL (https://..., or http://127.0.0.1:PORT/... for local use)',
  JWT_AUDIENCE:
    'set it to the accepted audiences, comma-separated (e.g. "orders-api,admin-api"), or set JWT_CLIENT_IDS',
  JWT_CLIENT_IDS: 'set the accepted OAuth client ids, comma-separated (Cognito: the app client ids)',
  JWT_TOKEN_USE: 'set access (the default), id or any',
  JWT_ISSUERS:
    'set a JSON array of {"issuer","jwksUri","audiences"?,"clientIds"?,"tokenUse"?}, and unset JWT_ISSUER and COGNITO_USER_POOL_ID',
  COGNITO_USER_POOL_ID: 'set the user pool id as Cognito shows it, <region>_<id> (e.g. eu-west-1_AbCdEf123)',
  JWT_GROUPS_CLAIM: 'set a claim name or dotted path (e.g. cognito:groups, realm_access.roles)',
  JWT_ALGORITHMS: `list algorithms from ${SUPPORTED_ALGORITHMS.join(',')}, comma-separated (default RS256,ES256)`,
  JWT_HMAC_SECRET: 'set a secret of at least 32 bytes, or remove HS256 from JWT_ALGORITHMS',
  JWT_MAX_TOKEN_AGE_SECONDS: 'set a whole number of seconds (1..31536000) or leave it unset',
  JWT_CLOCK_TOLERANCE_SECONDS: 'set a whole number of seconds between 0 and 300 (default 30)',
  JWT_MAX_BYTES: 'set a whole number of bytes between 256 and 65536 (default 10240)',
  TRUSTED_PROXY_COUNT: 'set the number of proxies in front of API Gateway, 0..10 (default 0)',
  MTLS_ALLOWED_SUBJECTS: 'set `;`-separated subject DNs, or leave it unset',
  MTLS_ALLOWED_ISSUERS: 'set `;`-separated issuer DNs, or leave it unset',
  PRIMITIVE_AUTH_QUERY_PARAMS: 'set comma-separated query parameter names (letters, digits, _ . -)',
  JWKS_FETCH_TIMEOUT_MS: 'set a whole number of milliseconds between 100 and 5000 (default 1500)',
  JWKS_MAX_BYTES: 'set a whole number of bytes between 1024 and 1048576 (default 65536)',
  JWKS_REFETCH_COOLDOWN_SECONDS: 'set a whole number of seconds between 1 and 3600 (default 10)',
  JWKS_CACHE_TTL_SECONDS: 'set a whole number of seconds between 60 and 86400 (default 600)',
};

const schema = z
  .object({
    // Required unless COGNITO_USER_POOL_ID or JWT_ISSUERS stands in: see resolveIssuers.
    JWT_ISSUER: z.optional(z.string().check(z.trim(), z.maxLength(512))),
    JWKS_URI: z.optional(
      z.string().check(
        z.trim(),
        z.refine((value) => jwksUriProblem(value) === undefined, {
          error: (issue) => jwksUriProblem(String(issue.input)) ?? 'is invalid',
        }),
      ),
    ),
    JWT_AUDIENCE: z._default(z.pipe(z.string(), z.transform(csv)), []),
    JWT_CLIENT_IDS: z._default(z.pipe(z.string(), z.transform(csv)), []),
    JWT_TOKEN_USE: z._default(z.pipe(z.string().check(z.trim()), tokenUseSchema), 'access'),
    JWT_ISSUERS: z.optional(z.string()),
    COGNITO_USER_POOL_ID: z.optional(
      z.string().check(z.trim(), z.regex(USER_POOL_ID, { error: 'is not a user pool id' })),
    ),
    JWT_GROUPS_CLAIM: z.optional(
      z.string().check(z.trim(), z.regex(/^[\w:./-]{1,128}$/, { error: 'is not a claim name' })),
    ),
    JWT_ALGORITHMS: z.pipe(
      z.pipe(z._default(z.string(), 'RS256,ES256'), z.transform(csv)),
      z
        .array(
          z.enum(SUPPORTED_ALGORITHMS, {
            error: (issue) => `lists an unsupported algorithm ${JSON.stringify(issue.input)}`,
          }),
        )
        .check(z.minLength(1, { error: 'must list at least one algorithm' })),
    ),
    JWT_HMAC_SECRET: z.union([
      z.optional(z.string().check(z.minLength(32, { error: 'is shorter than 32 bytes' }))),
      z.pipe(
        z.literal(''),
        z.transform(() => undefined),
      ),
    ]),
    JWT_MAX_TOKEN_AGE_SECONDS: z.optional(intVar(1, 31_536_000)),
    JWT_CLOCK_TOLERANCE_SECONDS: z._default(intVar(0, 300), 30),
    JWT_MAX_BYTES: z._default(intVar(256, 65_536), DEFAULT_MAX_TOKEN_BYTES),
    TRUSTED_PROXY_COUNT: z._default(intVar(0, 10), 0),
    MTLS_ALLOWED_SUBJECTS: z.optional(z.pipe(z.string(), z.transform(dnList))),
    MTLS_ALLOWED_ISSUERS: z.optional(z.pipe(z.string(), z.transform(dnList))),
    PRIMITIVE_AUTH_QUERY_PARAMS: z.optional(
      z.pipe(
        z.pipe(z.string(), z.transform(csv)),
        z.array(z.string().check(z.regex(/^[\w.-]+$/, { error: 'has an invalid parameter name' }))),
      ),
    ),
    JWKS_FETCH_TIMEOUT_MS: z._default(intVar(100, 5000), 1500),
    JWKS_MAX_BYTES: z._default(intVar(1024, 1_048_576), 65_536),
    JWKS_REFETCH_COOLDOWN_SECONDS: z._default(intVar(1, 3600), 10),
    JWKS_CACHE_TTL_SECONDS: z._default(intVar(60, 86_400), 600),
  })
  .check(
    z.superRefine((env, ctx) => {
      if (env.JWT_ALGORITHMS.includes('HS256') && env.JWT_HMAC_SECRET === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_HMAC_SECRET'],
          message: 'is required when JWT_ALGORITHMS lists HS256',
        });
      }
    }),
  );

type ParsedEnv = z.infer<typeof schema>;

const problem = (variable: string, message: string): string =>
  `${variable} ${message}: ${FIXES[variable] ?? 'check the value'}`;

/**
 * The accepted issuers, from exactly one of `JWT_ISSUERS`, `COGNITO_USER_POOL_ID` or `JWT_ISSUER` + `JWKS_URI`.
 * `JWT_AUDIENCE`, `JWT_CLIENT_IDS` and `JWT_TOKEN_USE` are the defaults of every entry.
 * @throws {IdentityConfigError} naming the variables in conflict or missing.
 */
function resolveIssuers(value: ParsedEnv, env: Readonly<Record<string, string | undefined>>): IssuerConfig[] {
  const problems: string[] = [];
  const defaults = {
    audiences: value.JWT_AUDIENCE,
    clientIds: value.JWT_CLIENT_IDS,
    tokenUse: value.JWT_TOKEN_USE,
  };
  let issuers: IssuerConfig[] = [];
  if (value.JWT_ISSUERS !== undefined) {
    if (value.JWT_ISSUER || value.COGNITO_USER_POOL_ID || value.JWKS_URI)
      problems.push(
        problem('JWT_ISSUERS', 'cannot be combined with JWT_ISSUER, JWKS_URI or COGNITO_USER_POOL_ID'),
      );
    let document: unknown;
    try {
      document = JSON.parse(value.JWT_ISSUERS);
    } catch {
      problems.push(problem('JWT_ISSUERS', 'is not JSON'));
    }
    if (document !== undefined) {
      const parsed = parseIssuerEntries(document);
      for (const message of parsed.problems) problems.push(problem('JWT_ISSUERS', message));
      issuers = parsed.entries.map((entry) => ({
        issuer: entry.issuer,
        jwksUri: entry.jwksUri,
        audiences: entry.audiences ?? defaults.audiences,
        clientIds: entry.clientIds ?? defaults.clientIds,
        tokenUse: entry.tokenUse ?? defaults.tokenUse,
      }));
    }
  } else if (value.COGNITO_USER_POOL_ID !== undefined) {
    if (value.JWT_ISSUER)
      problems.push(
        problem('COGNITO_USER_POOL_ID', 'cannot be combined with JWT_ISSUER (it derives the issuer)'),
      );
    // The pool id names its region; AWS_REGION (always set in Lambda) is the fallback and must agree.
    const region = USER_POOL_ID.exec(value.COGNITO_USER_POOL_ID)?.[1] ?? env.AWS_REGION ?? '';
    // Issuer and key-set URL as "Verifying a JSON Web Token" (Amazon Cognito Developer Guide) documents them.
    const issuer = `https://cognito-idp.${region}.amazonaws.com/${value.COGNITO_USER_POOL_ID}`;
    issuers = [{ issuer, jwksUri: value.JWKS_URI ?? `${issuer}/.well-known/jwks.json`, ...defaults }];
  } else {
    if (!value.JWT_ISSUER) problems.push(problem('JWT_ISSUER', 'is required'));
    if (!value.JWKS_URI) problems.push(problem('JWKS_URI', 'is required'));
    if (value.JWT_ISSUER && value.JWKS_URI)
      issuers = [{ issuer: value.JWT_ISSUER, jwksUri: value.JWKS_URI, ...defaults }];
    else if (defaults.audiences.length === 0 && defaults.clientIds.length === 0)
      problems.push(
        problem('JWT_AUDIENCE', 'is required (at least one audience) unless JWT_CLIENT_IDS is set'),
      );
  }
  for (const entry of issuers) {
    if (entry.audiences.length === 0 && entry.clientIds.length === 0) {
      problems.push(
        problem(
          value.JWT_ISSUERS !== undefined ? 'JWT_ISSUERS' : 'JWT_AUDIENCE',
          value.JWT_ISSUERS !== undefined
            ? `entry ${entry.issuer} needs audiences or clientIds (or set JWT_AUDIENCE / JWT_CLIENT_IDS)`
            : 'is required (at least one audience) unless JWT_CLIENT_IDS is set',
        ),
      );
    }
  }
  if (problems.length > 0) throw new IdentityConfigError([...new Set(problems)]);
  return issuers;
}

/**
 * Reads and validates the identity configuration. Call once per container (the handlers do).
 * Empty strings count as unset for optional variables, so a template can always declare them.
 * @throws {IdentityConfigError} naming every invalid variable and how to fix it.
 */
export function loadIdentityConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): IdentityConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(FIXES)) {
    const value = env[key];
    // Unset and empty are the same, except PRIMITIVE_AUTH_QUERY_PARAMS where "" explicitly disables the check.
    if (value !== undefined && (value.trim() !== '' || key === 'PRIMITIVE_AUTH_QUERY_PARAMS'))
      input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'configuration');
      return `${variable} ${issue.message}: ${FIXES[variable] ?? 'check the value'}`;
    });
    throw new IdentityConfigError([...new Set(problems)]);
  }
  const value = parsed.data;
  const issuers = resolveIssuers(value, env);
  const algorithms = [...new Set(value.JWT_ALGORITHMS)];
  const first = issuers[0]!;
  return {
    issuer: first.issuer,
    jwksUri: first.jwksUri,
    audiences: value.JWT_AUDIENCE,
    issuers,
    clientIds: value.JWT_CLIENT_IDS,
    tokenUse: value.JWT_TOKEN_USE,
    groupsClaim: value.JWT_GROUPS_CLAIM,
    algorithms,
    // The secret is only turned into a key when HS256 is listed: a secret alone never enables HMAC.
    hmacSecret:
      value.JWT_HMAC_SECRET !== undefined && algorithms.includes('HS256')
        ? new TextEncoder().encode(value.JWT_HMAC_SECRET)
        : undefined,
    maxTokenAgeSeconds: value.JWT_MAX_TOKEN_AGE_SECONDS,
    clockToleranceSeconds: value.JWT_CLOCK_TOLERANCE_SECONDS,
    maxTokenBytes: value.JWT_MAX_BYTES,
    trustedProxyCount: value.TRUSTED_PROXY_COUNT,
    mtlsAllowedSubjects: value.MTLS_ALLOWED_SUBJECTS?.length ? value.MTLS_ALLOWED_SUBJECTS : undefined,
    mtlsAllowedIssuers: value.MTLS_ALLOWED_ISSUERS?.length ? value.MTLS_ALLOWED_ISSUERS : undefined,
    primitiveAuthQueryParams: (
      value.PRIMITIVE_AUTH_QUERY_PARAMS ?? [...DEFAULT_PRIMITIVE_AUTH_QUERY_PARAMS]
    ).map((name) => name.toLowerCase()),
    jwksFetchTimeoutMs: value.JWKS_FETCH_TIMEOUT_MS,
    jwksMaxBytes: value.JWKS_MAX_BYTES,
    jwksRefetchCooldownSeconds: value.JWKS_REFETCH_COOLDOWN_SECONDS,
    jwksCacheTtlSeconds: value.JWKS_CACHE_TTL_SECONDS,
  };
}
