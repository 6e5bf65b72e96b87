import { InvalidIpSetArnError } from './errors';

/** WAF scope of an IP set: `REGIONAL` (API Gateway REST, ALB, ...) or `CLOUDFRONT` (global, managed in us-east-1). */
export type WafScope = 'REGIONAL' | 'CLOUDFRONT';

/** Everything GetIPSet/UpdateIPSet need, read from the IP set's ARN. */
export interface IpSetRef {
  readonly arn: string;
  readonly name: string;
  readonly id: string;
  readonly scope: WafScope;
  /** Region whose WAF endpoint manages the set (always us-east-1 for CLOUDFRONT). */
  readonly region: string;
  readonly account: string;
}

// arn:<partition>:wafv2:<region>:<account>:<regional|global>/ipset/<name>/<id>
// Names are 1-128 of [\w-]; ids are WAF's UUID-like ids.
const ARN_PATTERN =
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):wafv2:([a-z0-9-]+):(\d{12}):(regional|global)\/ipset\/([\w-]{1,128})\/([A-Za-z0-9-]{1,128})$/;

/**
 * Reads name, id, scope and region from a WAFV2 IP-set ARN.
 *
 * @example parseIpSetArn('arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/blocked-v4/a1b2c3d4-...')
 * @throws {InvalidIpSetArnError} for anything else (web ACL ARNs, WAF Classic ARNs, typos).
 */
export function parseIpSetArn(arn: string): IpSetRef {
  const text = arn.trim();
  const match = ARN_PATTERN.exec(text);
  if (!match) {
    const reason =
      text.includes(':waf:') || text.includes(':waf-regional:')
        ? 'WAF Classic is not supported'
        : text.includes('/webacl/')
          ? 'this is a web ACL, not an IP set'
          : 'unrecognised format';
    throw new InvalidIpSetArnError(arn, reason);
  }
  const [, , region = '', account = '', kind, name = '', id = ''] = match;
  if (kind === 'global' && region !== 'us-east-1') {
    throw new InvalidIpSetArnError(arn, 'global (CloudFront) IP sets live in us-east-1');
  }
  return { arn: text, name, id, scope: kind === 'global' ? 'CLOUDFRONT' : 'REGIONAL', region, account };
}
