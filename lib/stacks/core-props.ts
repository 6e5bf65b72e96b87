import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { GatewardenConfig } from '../config';
import type { GatewardenCoreProps } from '../constructs/gatewarden-core';

/** Turns the validated context configuration into {@link GatewardenCoreProps}. */
export function corePropsFromConfig(
  config: GatewardenConfig,
  overrides: Partial<GatewardenCoreProps> = {},
): GatewardenCoreProps {
  const jwt = config.jwt;
  return {
    jwt: {
      // A user pool is passed as such: the function derives issuer and key set (COGNITO_USER_POOL_ID).
      ...(jwt.issuers
        ? { issuers: jwt.issuers }
        : jwt.cognitoUserPoolId
          ? { cognitoUserPoolId: jwt.cognitoUserPoolId }
          : { issuer: jwt.issuer, jwksUri: jwt.jwksUri }),
      audience: jwt.audience,
      ...(jwt.clientIds.length > 0 ? { clientIds: jwt.clientIds } : {}),
      ...(jwt.tokenUse ? { tokenUse: jwt.tokenUse } : {}),
      ...(jwt.groupsClaim ? { groupsClaim: jwt.groupsClaim } : {}),
      algorithms: jwt.algorithms,
      ...(jwt.maxTokenAgeSeconds !== undefined
        ? { maxTokenAge: Duration.seconds(jwt.maxTokenAgeSeconds) }
        : {}),
      ...(jwt.clockToleranceSeconds !== undefined
        ? { clockTolerance: Duration.seconds(jwt.clockToleranceSeconds) }
        : {}),
      ...(jwt.maxBytes !== undefined ? { maxBytes: jwt.maxBytes } : {}),
    },
    mode: config.mode,
    ...(config.policyFile ? { policyFile: config.policyFile } : {}),
    trustedProxyCount: config.trustedProxyCount,
    mtlsAllowedSubjects: config.mtlsAllowedSubjects,
    mtlsAllowedIssuers: config.mtlsAllowedIssuers,
    replicaRegions: config.replicaRegions,
    replicaKeyArns: config.replicaKeyArns,
    key: config.kmsKey,
    managedRuleGroups: config.managedRules,
    logRetention: config.logRetentionDays as logs.RetentionDays,
    ...overrides,
  };
}
