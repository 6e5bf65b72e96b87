import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createAuthenticator } from '../identity/authenticate';
import { type IdentityConfig, loadIdentityConfig } from '../identity/config';
import { JwksCache } from '../identity/jwks-cache';
import { JwtVerifier } from '../identity/jwt-verifier';
import { defaultPolicy, loadPolicyFile } from '../policy/policy';
import { Metrics } from '../shared/metric-names';
import { metrics } from '../shared/observability';
import { type Authorize, type AuthorizerLogger, createAuthorize } from './core';
import { createDecider } from './decider-factory';
import { IdentityOnlyDecider } from './identity-only-decider';
import type { Decider } from './types';

/** Everything an authorizer container builds once: configuration, key cache, verifier and deciders. */
export interface AuthorizerRuntime {
  readonly config: IdentityConfig;
  /** The first issuer's key cache (the only one unless `JWT_ISSUERS` lists several). */
  readonly jwks: JwksCache;
  /** One key cache per issuer, in `config.issuers` order. */
  readonly jwksCaches: readonly JwksCache[];
  readonly authorize: Authorize;
}

/** Options of {@link buildRuntime}. */
export interface RuntimeOptions {
  readonly logger: AuthorizerLogger;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default createDecider (decider-factory.ts): the risk engine, configured from `env` */
  readonly createDecider?: () => Decider;
}

/**
 * The policy whose route requirements TOKEN events are held to: GATEWARDEN_POLICY, else the built-in one (no
 * requirements). Read apart from the engine's configuration: TOKEN events never need the table.
 * @throws {PolicyError} on an unreadable or invalid policy (the handler answers 401 and logs why).
 */
function tokenPolicy(env: Readonly<Record<string, string | undefined>>) {
  return env.GATEWARDEN_POLICY ? loadPolicyFile(env.GATEWARDEN_POLICY) : defaultPolicy();
}

/**
 * Reads the configuration and wires the identity layer.
 * @throws {IdentityConfigError} when the environment is invalid (the handler turns this into 401s).
 */
export function buildRuntime(options: RuntimeOptions): AuthorizerRuntime {
  const config = loadIdentityConfig(options.env ?? process.env);
  const { logger } = options;
  // One cache per issuer: a key set never answers for another issuer, and one issuer's outage or unknown-kid
  // refetches never touch another's cooldown.
  const jwksCaches = config.issuers.map(
    (entry) =>
      new JwksCache({
        uri: entry.jwksUri,
        fetchTimeoutMs: config.jwksFetchTimeoutMs,
        maxResponseBytes: config.jwksMaxBytes,
        refetchCooldownMs: config.jwksRefetchCooldownSeconds * 1000,
        ttlMs: config.jwksCacheTtlSeconds * 1000,
        onFetchError: (error) => {
          logger.warn('JWKS fetch failed', { metric: Metrics.JwksFetchFailure, error: error.message });
          metrics.addMetric(Metrics.JwksFetchFailure, MetricUnit.Count, 1);
        },
        onKeySkipped: (kid, why) => logger.warn('JWKS key skipped', { kid, why, issuer: entry.issuer }),
      }),
  );
  const verifier = new JwtVerifier({
    issuers: config.issuers.map((entry, i) => ({ ...entry, keys: jwksCaches[i]! })),
    groupsClaim: config.groupsClaim,
    algorithms: config.algorithms,
    hmacSecret: config.hmacSecret,
    maxTokenAgeSeconds: config.maxTokenAgeSeconds,
    clockToleranceSeconds: config.clockToleranceSeconds,
    maxTokenBytes: config.maxTokenBytes,
  });
  const authenticate = createAuthenticator({
    verifier,
    mtls: { allowedSubjects: config.mtlsAllowedSubjects, allowedIssuers: config.mtlsAllowedIssuers },
    primitiveAuthQueryParams: config.primitiveAuthQueryParams,
  });
  const authorize = createAuthorize({
    authenticate,
    decider: options.createDecider
      ? options.createDecider()
      : // Decision lines follow the handler's logger (its level), like every other line of the authorizer.
        createDecider({ ...(options.env ?? process.env) }, logger instanceof Logger ? logger : undefined),
    // The risk engine writes one line per decision itself (score, band, signals).
    deciderLogs: true,
    // Explicit: TOKEN events are judged on identity and the routes' `require` only, whatever createDecider returns.
    tokenDecider: new IdentityOnlyDecider({
      policy: tokenPolicy(options.env ?? process.env),
      onAuthzFailure: (reason) => {
        const single = metrics.singleMetric();
        single.addDimension('Reason', reason);
        single.addMetric(Metrics.AuthzFailure, MetricUnit.Count, 1);
      },
    }),
    logger,
  });
  return { config, jwks: jwksCaches[0]!, jwksCaches, authorize };
}
