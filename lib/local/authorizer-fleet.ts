import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { createHttpHandler, createRestHandler } from '../../lambdas/authorizer/handler-factory';
import { type EngineTelemetry, RiskEngine } from '../../lambdas/engine/engine';
import type { CounterStore } from '../../lambdas/engine/ports';
import type { Policy } from '../../lambdas/policy/policy';
import { Fleet, type FleetOptions, type FleetStats } from './fleet';

const SILENT = new Logger({ logLevel: 'SILENT' });

/** One modelled Lambda container: its own handlers and engine (its own module state), sharing only the table. */
export interface AuthorizerContainer {
  readonly engine: RiskEngine;
  readonly rest: (event: unknown, context: Context) => Promise<unknown>;
  readonly http: (event: unknown, context: Context) => Promise<unknown>;
}

export interface AuthorizerFleetOptions extends FleetOptions {
  readonly policy: Policy;
  readonly store: CounterStore;
  /** The identity variables (issuer, JWKS, audience, ...). */
  readonly env: Readonly<Record<string, string>>;
  readonly telemetry?: EngineTelemetry;
  /** @default 5000: DynamoDB Local on a small machine is slower than the service; the budget is tested elsewhere. */
  readonly storeTimeoutMs?: number;
}

/** A fleet of authorizer containers and the two entry points API Gateway would call, routed over the fleet. */
export interface AuthorizerFleet {
  readonly fleet: Fleet<AuthorizerContainer>;
  /** The REST authorizer as API Gateway calls it: the event goes to a container chosen for its request time. */
  rest(event: unknown, context?: Context): Promise<unknown>;
  http(event: unknown, context?: Context): Promise<unknown>;
  readonly stats: FleetStats;
}

/** The request time of an authorizer event (REST `requestTimeEpoch`, HTTP API `timeEpoch`), else now. */
function eventTimeMs(event: unknown): number {
  const ctx = (event as { requestContext?: { requestTimeEpoch?: unknown; timeEpoch?: unknown } })
    ?.requestContext;
  const t = Number(ctx?.requestTimeEpoch ?? ctx?.timeEpoch);
  return Number.isFinite(t) && t > 0 ? t : Date.now();
}

/**
 * Builds K authorizer containers on one store. Each container is built exactly as a Lambda cold start builds it:
 * a fresh handler (identity runtime, JWKS cache) and a fresh risk engine (local counters, block cache, sync state).
 */
export function createAuthorizerFleet(options: AuthorizerFleetOptions): AuthorizerFleet {
  const create = (): AuthorizerContainer => {
    const engine = new RiskEngine({
      policy: options.policy,
      store: options.store,
      storeTimeoutMs: options.storeTimeoutMs ?? 5000,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    });
    const handlerOptions = { logger: SILENT, env: { ...options.env }, createDecider: () => engine };
    const rest = createRestHandler(handlerOptions);
    const http = createHttpHandler(handlerOptions);
    // The model lets a container finish its off-path writes before the next request is routed (in Lambda they resume
    // when the container is next invoked): a run's outcome then never depends on I/O timing (replay is reproducible).
    const settledAfter = async (answer: Promise<unknown>) => {
      try {
        return await answer;
      } finally {
        await engine.settled();
      }
    };
    return {
      engine,
      rest: (event, context) => settledAfter(rest(event, context)),
      http: (event, context) => settledAfter(http(event, context)),
    };
  };
  const fleet = new Fleet(create, options);
  const noContext = {} as Context;
  return {
    fleet,
    rest: (event, context) => fleet.route(eventTimeMs(event)).rest(event, context ?? noContext),
    http: (event, context) => fleet.route(eventTimeMs(event)).http(event, context ?? noContext),
    get stats() {
      return fleet.stats;
    },
  };
}
