import { createRestHandler } from './handler-factory';

/**
 * API Gateway REST API Lambda authorizer (REQUEST type; TOKEN type accepted with identity-only checks).
 * Returns an IAM policy for the request's `methodArn`, or throws exactly `Unauthorized` (401).
 */
export const handler = createRestHandler();
