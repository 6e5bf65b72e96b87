import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayAuthorizerResult,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from 'aws-lambda';
import { isIdentityConfigError } from '../identity/errors';
import { metrics, logger as sharedLogger } from '../shared/observability';
import type { AuthorizerLogger } from './core';
import { type NormaliseResult, normaliseHttpEvent, normaliseRestEvent } from './events';
import { toHttpSimpleResponse, toRestPolicy, unauthorizedError } from './responses';
import { type AuthorizerRuntime, buildRuntime, type RuntimeOptions } from './runtime';

/** Options of the handler factories; the entry points use the defaults. */
export interface HandlerOptions extends Partial<RuntimeOptions> {
  /** @default a Powertools Logger for service `gatewarden-authorizer` */
  readonly logger?: Logger;
}

type HttpResult = APIGatewaySimpleAuthorizerWithContextResult<Record<string, string | number | boolean>>;

/**
 * Builds the runtime on first use and remembers the outcome for the container's life. A configuration error is
 * remembered too: every invocation then fails closed with 401 and one clear error line, instead of a 500 loop
 * (or a retry storm against the JWKS endpoint).
 */
function lazyRuntime(options: HandlerOptions, logger: AuthorizerLogger): () => AuthorizerRuntime | undefined {
  let state: { runtime: AuthorizerRuntime } | { error: unknown } | undefined;
  return () => {
    if (state === undefined) {
      try {
        state = { runtime: buildRuntime({ ...options, logger }) };
      } catch (error) {
        state = { error };
      }
    }
    if ('runtime' in state) return state.runtime;
    const { error } = state;
    logger.error('authorizer misconfigured: every request is refused with 401', {
      problems: isIdentityConfigError(error)
        ? error.problems
        : [error instanceof Error ? `${error.name}: ${error.message}` : String(error)],
    });
    return undefined;
  };
}

/**
 * One EMF flush per invocation of what Powertools stored (JWKS failures, surges; decision metrics are aggregated
 * apart, see `decision-metrics.ts`). Unlike Powertools' `logMetrics`, it writes nothing when nothing was recorded
 * (TOKEN events), so no empty-metrics warning line is paid for.
 */
function flushMetrics(): MiddlewareObj {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}

/** Last line of defence: whatever escapes becomes exactly `Unauthorized` (API Gateway: 401, never 500). */
function failClosed(logger: AuthorizerLogger): MiddlewareObj {
  return {
    onError: (request) => {
      const { error } = request;
      if (!(error instanceof Error && error.message === 'Unauthorized')) {
        logger.error('unexpected error, failing closed', {
          error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
        });
      }
      request.error = unauthorizedError();
    },
  };
}

/** A Lambda handler that answers `TResult` or throws exactly `Unauthorized`. */
export type AuthorizerHandler<TResult> = (event: unknown, context: Context) => Promise<TResult>;

function wrap<TResult>(
  logger: Logger,
  handle: (event: unknown) => Promise<TResult>,
): AuthorizerHandler<TResult> {
  const pipeline = middy<unknown, TResult, Error, Context>(handle, {
    // Even a timeout must answer 401, not middy's TimeoutError (a 500).
    timeoutEarlyResponse: () => {
      throw unauthorizedError();
    },
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics())
    // Registered last so its onError runs first.
    .use(failClosed(logger));
  return async (event, context) => {
    try {
      return await pipeline(
        event,
        (typeof context === 'object' && context !== null ? context : {}) as Context,
      );
    } catch (error) {
      // failClosed covers the pipeline; this covers anything middy itself throws before reaching it.
      throw error instanceof Error && error.message === 'Unauthorized' ? error : unauthorizedError();
    }
  };
}

function normalised(
  result: NormaliseResult,
  logger: AuthorizerLogger,
): Exclude<NormaliseResult, { ok: false }>['request'] {
  if (!result.ok) {
    logger.warn('authorizer event rejected', { reason: 'malformed-event', detail: result.problem });
    throw unauthorizedError();
  }
  return result.request;
}

/** REST API authorizer (REQUEST events; TOKEN events with identity-only checks): an IAM policy or 401. */
export function createRestHandler(options: HandlerOptions = {}) {
  const logger = options.logger ?? sharedLogger;
  const runtime = lazyRuntime(options, logger);
  return wrap<APIGatewayAuthorizerResult>(logger, async (event) => {
    const current = runtime();
    if (current === undefined) throw unauthorizedError();
    const request = normalised(
      normaliseRestEvent(event, { trustedProxyCount: current.config.trustedProxyCount }),
      logger,
    );
    return toRestPolicy(await current.authorize(request), request.methodArn);
  });
}

/** HTTP API authorizer (payload format 2.0, simple responses): `{isAuthorized, context}` or 401. */
export function createHttpHandler(options: HandlerOptions = {}) {
  const logger = options.logger ?? sharedLogger;
  const runtime = lazyRuntime(options, logger);
  return wrap<HttpResult>(logger, async (event) => {
    const current = runtime();
    if (current === undefined) throw unauthorizedError();
    const request = normalised(
      normaliseHttpEvent(event, { trustedProxyCount: current.config.trustedProxyCount }),
      logger,
    );
    return toHttpSimpleResponse(await current.authorize(request));
  });
}
