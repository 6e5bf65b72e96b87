import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { PropsError } from './errors';

/** Props for {@link GatewardenGatewayResponses}. */
export interface GatewardenGatewayResponsesProps {
  /** The REST API id (`restApi.restApiId`, or an existing API's id). HTTP APIs have no gateway responses. */
  readonly restApiId: string;
  /**
   * `Access-Control-Allow-Origin` of the error responses, so browser clients can read them.
   * @default '*'
   */
  readonly allowOrigin?: string;
  /**
   * Also map the authorizer's `retryAfter` context value to a `Retry-After` header on 403s. AWS documents request
   * parameters and static values as header sources for gateway responses, not `context.authorizer.*`; turn this on
   * only after checking your API accepts the mapping. The value is always in the JSON body.
   * @default false
   */
  readonly retryAfterHeader?: boolean;
}

/** Gateway response types Gatewarden customises, and what each says. */
const RESPONSES = {
  UNAUTHORIZED: { status: '401', message: 'Unauthorized', decision: false },
  ACCESS_DENIED: { status: '403', message: 'Forbidden', decision: true },
  // An authorizer that throws or times out: callers learn nothing about why.
  AUTHORIZER_FAILURE: { status: '500', message: 'Internal server error', decision: false },
  AUTHORIZER_CONFIGURATION_ERROR: { status: '500', message: 'Internal server error', decision: false },
} as const;

/**
 * JSON gateway responses for a REST API's 401, 403 and authorizer failures: a generic message, the request id and
 * (on 403) Gatewarden's decision id and retry hint, with CORS headers. Nothing internal (reason, score, signals)
 * is exposed; those go to the logs under the same decision id.
 */
export class GatewardenGatewayResponses extends Construct {
  /** The responses, by response type. */
  public readonly responses: Record<keyof typeof RESPONSES, apigw.CfnGatewayResponse>;

  constructor(scope: Construct, id: string, props: GatewardenGatewayResponsesProps) {
    super(scope, id);
    const origin = props.allowOrigin ?? '*';
    if (origin.includes("'") || origin.trim() === '') {
      throw new PropsError(this, `allowOrigin must be a non-empty origin without quotes, got "${origin}"`);
    }
    const cors = {
      'gatewayresponse.header.Access-Control-Allow-Origin': `'${origin}'`,
      'gatewayresponse.header.Access-Control-Allow-Headers': "'Authorization,Content-Type'",
      'gatewayresponse.header.Access-Control-Expose-Headers': "'Retry-After'",
      'gatewayresponse.header.Cache-Control': "'no-store'",
    };
    const entries = Object.entries(RESPONSES).map(([type, r]) => {
      const body = r.decision
        ? `{"message":"${r.message}","requestId":"$context.requestId","decisionId":"$context.authorizer.decisionId","retryAfter":"$context.authorizer.retryAfter"}`
        : `{"message":"${r.message}","requestId":"$context.requestId"}`;
      const headers: Record<string, string> = { ...cors };
      if (r.decision && props.retryAfterHeader) {
        headers['gatewayresponse.header.Retry-After'] = 'context.authorizer.retryAfter';
      }
      const response = new apigw.CfnGatewayResponse(this, type, {
        restApiId: props.restApiId,
        responseType: type,
        statusCode: r.status,
        responseParameters: headers,
        responseTemplates: { 'application/json': body },
      });
      return [type, response] as const;
    });
    this.responses = Object.fromEntries(entries) as Record<keyof typeof RESPONSES, apigw.CfnGatewayResponse>;
  }
}
