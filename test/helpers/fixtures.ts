import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';

/**
 * API Gateway sample events from the shared fixtures (`../shared/fixtures/api-gateway-events/`, a sibling of the
 * repository in CI and locally). Each call returns a fresh deep copy the test may mutate.
 */
export type FixtureName =
  | 'powertools-rest-request-authorizer'
  | 'powertools-rest-token-authorizer'
  | 'powertools-httpapi-v2-request-authorizer'
  | 'powertools-rest-proxy-after-lambda-authorizer'
  | 'powertools-httpapi-v2-proxy-after-lambda-authorizer'
  | 'awsdocs-rest-request-authorizer-mtls'
  | 'awsdocs-httpapi-v2-authorizer-payload-2.0-mtls'
  | 'awsdocs-httpapi-authorizer-payload-1.0-mtls'
  | 'samcli-template-rest-request-authorizer'
  | 'samcli-template-rest-token-authorizer';

// biome-ignore lint/suspicious/noExplicitAny: fixtures are arbitrary JSON the tests reshape freely.
export type FixtureEvent = Record<string, any>;

const FIXTURE_DIR = new URL('../../../shared/fixtures/api-gateway-events/', import.meta.url);

/** Loads a fixture event by file name (without `.json`). */
export function loadFixture(name: FixtureName): FixtureEvent {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURE_DIR), 'utf8')) as FixtureEvent;
}

/** Replaces the Authorization value everywhere the event carries it (headers, multi-value headers, identity source). */
export function withAuthorization(event: FixtureEvent, value: string | undefined): FixtureEvent {
  if (event.type === 'TOKEN') {
    if (value === undefined) delete event.authorizationToken;
    else event.authorizationToken = value;
    return event;
  }
  for (const map of [event.headers, event.multiValueHeaders]) {
    if (map === null || typeof map !== 'object') continue;
    for (const name of Object.keys(map)) if (name.toLowerCase() === 'authorization') delete map[name];
  }
  if (value !== undefined) {
    event.headers = { ...(event.headers ?? {}), Authorization: value };
    if (event.multiValueHeaders && typeof event.multiValueHeaders === 'object') {
      event.multiValueHeaders.Authorization = [value];
    }
  }
  if (Array.isArray(event.identitySource)) event.identitySource = value === undefined ? [] : [value];
  return event;
}

/** Sets the event's own request time (REST `requestTimeEpoch`, HTTP `timeEpoch`). @default now */
export function at(event: FixtureEvent, epochMs: number = Date.now()): FixtureEvent {
  if (event.requestContext && typeof event.requestContext === 'object') {
    if (event.version === '2.0') event.requestContext.timeEpoch = epochMs;
    else event.requestContext.requestTimeEpoch = epochMs;
  }
  return event;
}

/** The event's request time in epoch seconds (what a token must be valid at). */
export function eventSeconds(event: FixtureEvent): number {
  const epoch =
    event.version === '2.0' ? event.requestContext?.timeEpoch : event.requestContext?.requestTimeEpoch;
  return Math.floor((typeof epoch === 'number' ? epoch : Date.now()) / 1000);
}

/** A Lambda context good enough for middy and Powertools. */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'gatewarden-authorizer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:gatewarden-authorizer',
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/gatewarden-authorizer',
    logStreamName: '2026/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
