import { checkRequirement } from '../../lambdas/authz/route-authz';
import { loadIdentityConfig } from '../../lambdas/identity/config';
import { isAuthenticationError, isIdentityConfigError } from '../../lambdas/identity/errors';
import { JwksCache } from '../../lambdas/identity/jwks-cache';
import { clientIdOf, groupsOf, JwtVerifier, scopesOf, tokenKind } from '../../lambdas/identity/jwt-verifier';
import { decodeJsonSegment, isJsonObject, type JsonObject } from '../../lambdas/identity/strict-json';
import { defaultPolicy, isPolicyError, type Policy } from '../../lambdas/policy/policy';
import { tokenHash } from '../../lambdas/shared/token-hash';
import { compilePolicyFile } from '../policy-file';
import { CliError } from './errors';

/** What `gatewarden token inspect` prints about a token: never the token itself, only its hash. */
export interface TokenReport {
  readonly tokenHash: string;
  readonly header: { readonly alg: unknown; readonly kid: unknown; readonly typ: unknown };
  readonly issuer: unknown;
  readonly subject: unknown;
  readonly audience: unknown;
  readonly clientId: string | undefined;
  readonly tokenUse: string;
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  readonly expires: string;
  /** `verified`, the refusal reason and detail, or why verification was not attempted. */
  readonly verification: string;
  readonly routes: readonly { readonly route: string; readonly answer: string }[];
}

function decode(token: string): { header: JsonObject; claims: JsonObject } {
  const parts = token
    .trim()
    .replace(/^bearer\s+/i, '')
    .split('.');
  if (parts.length !== 3)
    throw new CliError('token inspect: not a JWT (expected three dot-separated segments)');
  try {
    const header = decodeJsonSegment(parts[0]!);
    const claims = decodeJsonSegment(parts[1]!);
    if (!isJsonObject(header) || !isJsonObject(claims)) throw new Error('not JSON objects');
    return { header, claims };
  } catch (error) {
    throw new CliError(`token inspect: header or payload unreadable (${(error as Error).message})`);
  }
}

/**
 * What each route would answer this token: `allow`, `403 <reason>`, or for an owner rule over a template the
 * condition. Routes: the one given, else every policy route with a `require`.
 */
function routeAnswers(
  policy: Policy,
  routes: readonly string[],
  claims: JsonObject,
  scope: string,
  groups: string[],
) {
  return routes.map((route) => {
    const found = policy.requirementFor(route);
    if (found === undefined) return { route, answer: 'allow (no require on this route)' };
    const { owner, ...rest } = found.requirement;
    const verdict = checkRequirement(rest, { scope, groups, claims }, {});
    if (!verdict.ok) return { route, answer: `403 ${verdict.reason} (${verdict.detail})` };
    if (owner === undefined) return { route, answer: `allow (${found.pattern})` };
    const value = claims[owner.claim];
    return {
      route,
      answer:
        typeof value === 'string'
          ? `allow only where {${owner.param}} is ${JSON.stringify(value)}, else 403 not-owner`
          : `403 not-owner (the token has no string claim ${owner.claim})`,
    };
  });
}

/**
 * Decodes a token, verifies it against the authorizer configuration in `env` when there is one (JWT_ISSUER /
 * JWT_ISSUERS / COGNITO_USER_POOL_ID ...), and says what each route would answer.
 */
export async function inspectToken(
  token: string,
  options: {
    readonly policy: Policy;
    /** Routes to answer for (`METHOD /template`). @default every policy route with a `require` */
    readonly routes: readonly string[];
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly now?: number;
  },
): Promise<TokenReport> {
  const raw = token.trim().replace(/^bearer\s+/i, '');
  const { header, claims } = decode(raw);
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now();
  const groups = groupsOf(claims, env.JWT_GROUPS_CLAIM || undefined);
  const scope = scopesOf(claims);
  const exp = claims.exp;
  const routes = options.routes;
  return {
    tokenHash: tokenHash(raw),
    header: { alg: header.alg, kid: header.kid, typ: header.typ },
    issuer: claims.iss,
    subject: claims.sub,
    audience: claims.aud,
    clientId: clientIdOf(claims),
    tokenUse: tokenKind(header, claims) ?? 'not stated by the token',
    scopes: scope.split(/\s+/).filter((s) => s.length > 0),
    groups,
    expires:
      typeof exp === 'number'
        ? `${new Date(exp * 1000).toISOString()} (${exp * 1000 > now ? 'in' : 'EXPIRED'} ${Math.abs(Math.round(exp - now / 1000))} s${exp * 1000 > now ? '' : ' ago'})`
        : 'never (no exp: the authorizer refuses it)',
    verification: await verify(raw, env, now),
    routes: routeAnswers(options.policy, routes, claims, scope, groups),
  };
}

async function verify(
  token: string,
  env: Readonly<Record<string, string | undefined>>,
  now: number,
): Promise<string> {
  if (!env.JWT_ISSUER && !env.JWT_ISSUERS && !env.COGNITO_USER_POOL_ID)
    return 'not verified (set the authorizer variables, e.g. JWT_ISSUER, JWKS_URI, JWT_AUDIENCE, to verify)';
  try {
    const config = loadIdentityConfig(env);
    const verifier = new JwtVerifier({
      issuers: config.issuers.map((entry) => ({ ...entry, keys: new JwksCache({ uri: entry.jwksUri }) })),
      groupsClaim: config.groupsClaim,
      algorithms: config.algorithms,
      hmacSecret: config.hmacSecret,
      maxTokenAgeSeconds: config.maxTokenAgeSeconds,
      clockToleranceSeconds: config.clockToleranceSeconds,
      maxTokenBytes: config.maxTokenBytes,
    });
    await verifier.verify(token, now);
    return 'verified: the authorizer would accept it';
  } catch (error) {
    if (isIdentityConfigError(error)) return `not verified: ${error.problems.join('; ')}`;
    if (isAuthenticationError(error)) return `refused (401): ${error.reason}: ${error.message}`;
    throw error;
  }
}

/** The policy to answer with (a JSON or YAML file, else the built-in one) and its routes that have a `require`. */
export function inspectPolicy(path: string | undefined): { policy: Policy; routes: string[] } {
  if (path === undefined) return { policy: defaultPolicy(), routes: [] };
  try {
    const { policy, json } = compilePolicyFile(path);
    const document = JSON.parse(json) as { routes?: { match: string; require?: unknown }[] };
    return { policy, routes: (document.routes ?? []).filter((r) => r.require).map((r) => r.match) };
  } catch (error) {
    if (isPolicyError(error))
      throw new CliError(`${path}: invalid policy\n  - ${error.issues.join('\n  - ') || error.message}`, {
        cause: error,
      });
    throw error;
  }
}

/** The report as text for a terminal. */
export function formatTokenReport(report: TokenReport): string {
  const show = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));
  const lines = [
    `token      sha256:${report.tokenHash} (the token itself is never printed)`,
    `header     alg ${show(report.header.alg)}, kid ${show(report.header.kid)}, typ ${show(report.header.typ)}`,
    `issuer     ${show(report.issuer)}`,
    `subject    ${show(report.subject)}`,
    `audience   ${show(report.audience)}`,
    `client     ${report.clientId ?? '(none)'}`,
    `token use  ${report.tokenUse}`,
    `scopes     ${report.scopes.join(' ') || '(none)'}`,
    `groups     ${report.groups.join(', ') || '(none)'}`,
    `expires    ${report.expires}`,
    `identity   ${report.verification}`,
  ];
  for (const { route, answer } of report.routes) lines.push(`route      ${route}: ${answer}`);
  return lines.join('\n');
}
