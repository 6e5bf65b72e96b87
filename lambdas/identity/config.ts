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

/** The authorizer's identity configuration, read once per container from the environment. */
export interface IdentityConfig {
  /** `JWT_ISSUER`: the one accepted `iss`, exact match. */
  readonly issuer: string;
  /** `JWKS_URI`: HTTPS, or HTTP on a loopback host for local use. */
  readonly jwksUri: string;
  /** `JWT_AUDIENCE`: a token is accepted when its `aud` contains at least one of these. */
  readonly audiences: readonly string[];
  /** `JWT_ALGORITHMS` @default ['RS256', 'ES256'] */
  readonly algorithms: readonly JwtAlgorithm[];
  /** `JWT_HMAC_SECRET` as bytes; HS256 is usable only when this is set and HS256 is listed. */
  readonly hmacSecret: Uint8Array | undefined;
  /** `JWT_MAX_TOKEN_AGE_SECONDS` @default undefined (no limit; `iat` then optional) */
  readonly maxTokenAgeSeconds: number | undefined;
  /** `JWT_CLOCK_TOLERANCE_SECONDS` @default 30 */
  readonly clockToleranceSeconds: number;
  /** `JWT_MAX_BYTES` @default 8192 */
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

/** How to fix each variable; appended to its error message. */
const FIXES: Readonly<Record<string, string>> = {
  JWT_ISSUER: 'set it to the exact `iss` value your identity provider puts in tokens',
  JWKS_URI: 'set it to the issuer key-set URL (https://..., or http://127.0.0.1:PORT/... for local use)',
  JWT_AUDIENCE: 'set it to the accepted audiences, comma-separated (e.g. "orders-api,admin-api")',
  JWT_ALGORITHMS: `list algorithms from ${SUPPORTED_ALGORITHMS.join(',')}, comma-separated (default RS256,ES256)`,
  JWT_HMAC_SECRET: 'set a secret of at least 32 bytes, or remove HS256 from JWT_ALGORITHMS',
  JWT_MAX_TOKEN_AGE_SECONDS: 'set a whole number of seconds (1..31536000) or leave it unset',
  JWT_CLOCK_TOLERANCE_SECONDS: 'set a whole number of seconds between 0 and 300 (default 30)',
  JWT_MAX_BYTES: 'set a whole number of bytes between 256 and 65536 (default 8192)',
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
    JWT_ISSUER: z.string(isRequired).check(z.trim(), z.minLength(1, isRequired)),
    JWKS_URI: z.string(isRequired).check(
      z.trim(),
      z.minLength(1, isRequired),
      z.refine((value) => URL.canParse(value), { error: 'is not a URL' }),
      z.refine(
        (value) => {
          if (!URL.canParse(value)) return true;
          const url = new URL(value);
          return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
        },
        { error: 'must use https (http is accepted only on a loopback host)' },
      ),
      z.refine((value) => !URL.canParse(value) || new URL(value).username === '', {
        error: 'must not embed credentials',
      }),
    ),
    JWT_AUDIENCE: z.pipe(
      z.pipe(z.string(isRequired), z.transform(csv)),
      z.array(z.string()).check(z.minLength(1, { error: 'is required (at least one audience)' })),
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
    JWT_MAX_BYTES: z._default(intVar(256, 65_536), 8192),
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
  const algorithms = [...new Set(value.JWT_ALGORITHMS)];
  return {
    issuer: value.JWT_ISSUER,
    jwksUri: value.JWKS_URI,
    audiences: value.JWT_AUDIENCE,
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
