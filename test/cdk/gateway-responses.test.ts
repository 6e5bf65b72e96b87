import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { GatewardenGatewayResponses } from '../../lib/constructs/gateway-responses';
import { demoStack } from './demo';
import { testApp } from './synth';

type Response = { Properties: Record<string, any> };

describe('GatewardenGatewayResponses', () => {
  let responses: Record<string, Response>;

  beforeAll(() => {
    const template = demoStack().template;
    responses = Object.fromEntries(
      Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => [
        (r as Response).Properties.ResponseType,
        r as Response,
      ]),
    );
  });

  it('answers 401 with a generic JSON body and the request id', () => {
    // Assess
    const r = responses.UNAUTHORIZED!.Properties;
    expect(r.StatusCode).toBe('401');
    expect(JSON.parse(r.ResponseTemplates['application/json'])).toEqual({
      message: 'Unauthorized',
      requestId: '$context.requestId',
    });
  });

  it('answers 403 with the decision id and retry hint, nothing about the reason', () => {
    // Assess
    const r = responses.ACCESS_DENIED!.Properties;
    expect(r.StatusCode).toBe('403');
    expect(JSON.parse(r.ResponseTemplates['application/json'])).toEqual({
      message: 'Forbidden',
      requestId: '$context.requestId',
      decisionId: '$context.authorizer.decisionId',
      retryAfter: '$context.authorizer.retryAfter',
    });
    expect(r.ResponseParameters['gatewayresponse.header.Retry-After']).toBeUndefined();
  });

  it('hides authorizer failures behind a generic 500', () => {
    // Assess
    for (const type of ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR']) {
      expect(responses[type]!.Properties.StatusCode).toBe('500');
      expect(responses[type]!.Properties.ResponseTemplates['application/json']).not.toMatch(/authorizer\./);
    }
  });

  it('adds CORS headers so browsers can read the errors', () => {
    // Assess
    for (const r of Object.values(responses)) {
      expect(r.Properties.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
        'gatewayresponse.header.Access-Control-Expose-Headers': "'Retry-After'",
      });
    }
  });

  it('maps Retry-After from the authorizer context when asked', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Responses');
    // Act
    new GatewardenGatewayResponses(stack, 'R', {
      restApiId: 'abcde12345',
      allowOrigin: 'https://app.example.com',
      retryAfterHeader: true,
    });
    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: 'abcde12345',
      ResponseType: 'ACCESS_DENIED',
      ResponseParameters: {
        'gatewayresponse.header.Retry-After': 'context.authorizer.retryAfter',
        'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example.com'",
      },
    });
  });

  it('Noncompliance 1: a quoted origin fails at synth', () => {
    // Prepare
    const stack = new Stack(testApp(), 'BadOrigin');
    // Act / Assess
    expect(() => new GatewardenGatewayResponses(stack, 'R', { restApiId: 'x', allowOrigin: "'*'" })).toThrow(
      /allowOrigin must be/,
    );
  });
});
