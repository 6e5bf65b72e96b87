import { createPeerHandler } from './peer';

/**
 * Lambda entry of the peer authorizer, bundled by the benchmark exactly like Gatewarden's entry points to compare
 * bundle size and cold import time.
 */
export const handler = createPeerHandler({
  issuer: process.env.JWT_ISSUER ?? '',
  audience: process.env.JWT_AUDIENCE ?? '',
  jwksUri: process.env.JWKS_URI ?? '',
  tableName: process.env.PEER_TABLE ?? 'peer-rate-limits',
});
