import { createHttpHandler } from './handler-factory';

/**
 * API Gateway HTTP API Lambda authorizer (payload format 2.0, simple responses).
 * Returns `{isAuthorized, context}`, or throws exactly `Unauthorized` (401).
 */
export const handler = createHttpHandler();
