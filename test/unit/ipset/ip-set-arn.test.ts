import { describe, expect, it } from 'vitest';
import { isInvalidIpSetArnError } from '../../../lambdas/ipset/errors';
import { parseIpSetArn } from '../../../lambdas/ipset/ip-set-arn';

const ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111'.toLowerCase();

describe('parseIpSetArn', () => {
  it('reads a regional IP set', () => {
    // Prepare
    const arn = `arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/gatewarden-v4/${ID}`;

    // Act
    const ref = parseIpSetArn(arn);

    // Assess
    expect(ref).toEqual({
      arn,
      name: 'gatewarden-v4',
      id: ID,
      scope: 'REGIONAL',
      region: 'eu-west-1',
      account: '123456789012',
    });
  });

  it('reads a global (CloudFront) IP set', () => {
    // Prepare / Act
    const ref = parseIpSetArn(`arn:aws:wafv2:us-east-1:123456789012:global/ipset/edge_v6/${ID}`);

    // Assess
    expect(ref).toMatchObject({ name: 'edge_v6', scope: 'CLOUDFRONT', region: 'us-east-1' });
  });

  it.each([
    ['a web ACL', `arn:aws:wafv2:us-east-1:123456789012:regional/webacl/acl/${ID}`, 'web ACL'],
    ['WAF Classic', `arn:aws:waf-regional:us-east-1:123456789012:ipset/${ID}`, 'Classic'],
    [
      'a global set outside us-east-1',
      `arn:aws:wafv2:eu-west-1:123456789012:global/ipset/x/${ID}`,
      'us-east-1',
    ],
    ['a truncated ARN', 'arn:aws:wafv2:us-east-1:123456789012:regional/ipset/x', 'unrecognised'],
  ])('rejects %s', (_label, arn, reason) => {
    // Prepare / Act
    let caught: unknown;
    try {
      parseIpSetArn(arn);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(isInvalidIpSetArnError(caught)).toBe(true);
    expect((caught as Error).message).toContain(reason);
  });
});
