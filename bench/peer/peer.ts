import { DynamoDB } from '@aws-sdk/client-dynamodb';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { RateLimiterDynamo, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * The authorizer a team would assemble instead of Gatewarden (issue 9's peer): aws-jwt-verify's JwtRsaVerifier, then
 * two rate-limiter-flexible RateLimiterDynamo limiters (per source IP, per subject) awaited in parallel, and an IAM
 * policy. Written the way their READMEs show, with no tuning in either direction.
 */
export interface PeerOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string;
  readonly tableName: string;
  /** @default a default `DynamoDB` aggregated client (rate-limiter-flexible needs the v3 aggregated client) */
  readonly client?: DynamoDB;
  /** A JWKS to cache up front (`verifier.cacheJwks`), as a warm container would hold after its first fetch. */
  readonly jwks?: Jwks;
  /** Points per minute per IP. @default 300 */
  readonly ipPointsPerMinute?: number;
  /** Points per minute per subject. @default 120 */
  readonly subjectPointsPerMinute?: number;
}

const policy = (
  principalId: string,
  effect: 'Allow' | 'Deny',
  methodArn: string,
  context: Record<string, string | number>,
): APIGatewayAuthorizerResult => ({
  principalId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: methodArn }],
  },
  context,
});

export function createPeerHandler(options: PeerOptions) {
  const client = options.client ?? new DynamoDB({});
  const verifier = JwtRsaVerifier.create({
    issuer: options.issuer,
    audience: options.audience,
    jwksUri: options.jwksUri,
  });
  if (options.jwks) verifier.cacheJwks(options.jwks);
  const common = { storeClient: client, tableName: options.tableName, tableCreated: true, ttlSet: true };
  const byIp = new RateLimiterDynamo({
    ...common,
    keyPrefix: 'ip',
    points: options.ipPointsPerMinute ?? 300,
    duration: 60,
  });
  const bySubject = new RateLimiterDynamo({
    ...common,
    keyPrefix: 'sub',
    points: options.subjectPointsPerMinute ?? 120,
    duration: 60,
  });

  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const header = event.headers?.Authorization ?? event.headers?.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    let sub: string;
    try {
      const payload = await verifier.verify(token);
      sub = String(payload.sub);
    } catch {
      throw new Error('Unauthorized');
    }
    const ip = event.requestContext.identity.sourceIp;
    try {
      await Promise.all([byIp.consume(ip), bySubject.consume(sub)]);
      return policy(sub, 'Allow', event.methodArn, { sub });
    } catch (error) {
      if (error instanceof RateLimiterRes) return policy(sub, 'Deny', event.methodArn, { sub });
      // Store failure: fail open, as most such assemblies do.
      return policy(sub, 'Allow', event.methodArn, { sub });
    }
  };
}

/** Creates the peer's table the way rate-limiter-flexible does it itself (`tableCreated: false`), and waits. */
export function createPeerTable(client: DynamoDB, tableName: string): Promise<void> {
  return new Promise((resolve, reject) => {
    new RateLimiterDynamo(
      { storeClient: client, tableName, tableCreated: false, points: 1, duration: 60 },
      (error?: unknown) => (error ? reject(error) : resolve()),
    );
  });
}
