import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  normaliseHttpEvent,
  normaliseRestEvent,
  parseCertificateDate,
} from '../../../lambdas/authorizer/events';
import type { AuthorizerRequest } from '../../../lambdas/authorizer/types';
import { loadFixture, withAuthorization } from '../../helpers/fixtures';

const options = { trustedProxyCount: 0, now: () => 1_700_000_000_000 };

function ok(result: ReturnType<typeof normaliseRestEvent>): AuthorizerRequest {
  if (!result.ok) throw new Error(`expected ok, got ${result.problem}`);
  return result.request;
}

describe('normaliseRestEvent', () => {
  it('normalises the REST REQUEST fixture', () => {
    // Prepare
    const event = withAuthorization(loadFixture('powertools-rest-request-authorizer'), 'Bearer abc.def.ghi');

    // Act
    const request = ok(normaliseRestEvent(event, options));

    // Assess
    expect(request).toMatchObject({
      kind: 'rest-request',
      methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/POST/lambda-request',
      method: 'POST',
      route: 'POST /lambda-request',
      path: '/lambda-request',
      clientIp: '15.248.3.126',
      timeMs: 1718636523035,
      requestId: '141d6671-99b4-40ca-9997-7a22f01eac74',
      userAgent: 'HTTPie/3.2.2',
      clientCert: undefined,
      rawToken: 'abc.def.ghi',
    });
    expect(request.headers['x-forwarded-for']).toBe('15.248.3.126, 130.176.209.37');
    expect(request.headers['cloudfront-viewer-country']).toBe('GB');
  });

  it('normalises the TOKEN fixture with identity-only fields', () => {
    // Prepare
    const event = loadFixture('powertools-rest-token-authorizer');

    // Act
    const request = ok(normaliseRestEvent(event, options));

    // Assess
    expect(request).toEqual({
      kind: 'rest-token',
      methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/prod/POST/lambda-token',
      method: '',
      route: '',
      path: '',
      headers: { authorization: 'Bearer foo' },
      query: {},
      pathParameters: {},
      clientIp: undefined,
      timeMs: 1_700_000_000_000,
      requestId: '',
      userAgent: '',
      clientCert: undefined,
      rawToken: 'foo',
    });
  });

  it('takes a bare JWT as the token on TOKEN events, but not a bare value that is no JWT', () => {
    // Prepare
    const fixture = loadFixture('samcli-template-rest-token-authorizer') as Record<string, unknown>;

    // Act
    const opaque = ok(normaliseRestEvent(fixture, options));
    const jwt = ok(normaliseRestEvent({ ...fixture, authorizationToken: 'aaa.bbb.ccc' }, options));

    // Assess: the same rule as REQUEST and HTTP events (the opaque value then fails as malformed-token)
    expect(opaque.rawToken).toBeUndefined();
    expect(opaque.headers.authorization).toBe('incoming-client-token');
    expect(jwt.rawToken).toBe('aaa.bbb.ccc');
  });

  it('reads the mTLS client certificate and its dates', () => {
    // Act
    const request = ok(normaliseRestEvent(loadFixture('awsdocs-rest-request-authorizer-mtls'), options));

    // Assess
    expect(request.clientCert).toEqual({
      subjectDN: 'www.example.com',
      issuerDN: 'Example issuer',
      serialNumber: 'a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1',
      notBefore: Date.UTC(2019, 4, 28, 12, 30, 2),
      notAfter: Date.UTC(2021, 7, 5, 9, 36, 4),
    });
    expect(request.route).toBe('GET /request');
    expect(request.query).toEqual({ QueryString1: 'queryValue1' });
    // sourceIp "..." is not an address; the time falls back to the clock.
    expect(request.clientIp).toBeUndefined();
    expect(request.timeMs).toBe(1_700_000_000_000);
  });

  it('applies TRUSTED_PROXY_COUNT to the fixture chain', () => {
    // Prepare
    const event = loadFixture('powertools-rest-request-authorizer');
    event.headers['X-Forwarded-For'] = '6.6.6.6, 15.248.3.126, 130.176.209.37';
    event.multiValueHeaders['X-Forwarded-For'] = ['6.6.6.6, 15.248.3.126, 130.176.209.37'];

    // Act
    const zero = ok(normaliseRestEvent(event, options));
    const one = ok(normaliseRestEvent(event, { ...options, trustedProxyCount: 1 }));

    // Assess
    expect(zero.clientIp).toBe('15.248.3.126');
    expect(one.clientIp).toBe('130.176.209.37');
  });

  it('refuses events it cannot use, without throwing', () => {
    // Act & Assess
    for (const event of [null, 42, 'x', [], {}, { methodArn: 7 }, { type: 'TOKEN' }]) {
      expect(normaliseRestEvent(event, options).ok).toBe(false);
    }
  });
});

describe('normaliseHttpEvent', () => {
  it('normalises the HTTP API 2.0 fixture', () => {
    // Prepare
    const event = withAuthorization(loadFixture('powertools-httpapi-v2-request-authorizer'), 'bearer tok');

    // Act
    const request = ok(normaliseHttpEvent(event, options));

    // Assess
    expect(request).toMatchObject({
      kind: 'http-v2',
      methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:lsw1ro4ipb/$default/POST/lambda',
      method: 'POST',
      route: 'POST /lambda',
      path: '/lambda',
      clientIp: '15.248.3.126',
      timeMs: 1718639559080,
      requestId: 'ZhNHJhhLjoEEPiw=',
      userAgent: 'HTTPie/3.2.2',
      rawToken: 'tok',
    });
  });

  it('reads the v2 mTLS fixture: cookies, path parameters, certificate', () => {
    // Act
    const request = ok(
      normaliseHttpEvent(loadFixture('awsdocs-httpapi-v2-authorizer-payload-2.0-mtls'), options),
    );

    // Assess
    expect(request.route).toBe('$default');
    expect(request.headers.cookie).toBe('cookie1; cookie2');
    expect(request.headers.header1).toBe('value1');
    expect(request.pathParameters).toEqual({ parameter1: 'value1' });
    expect(request.clientCert?.subjectDN).toBe('www.example.com');
    expect(request.rawToken).toBeUndefined();
  });

  it('refuses payload format 1.0', () => {
    // Act
    const result = normaliseHttpEvent(loadFixture('awsdocs-httpapi-authorizer-payload-1.0-mtls'), options);

    // Assess
    expect(result).toEqual({ ok: false, problem: 'not a payload format 2.0 event' });
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['aaa.bbb.ccc', 'aaa.bbb.ccc'],
    ['  aaa.bbb.  ', 'aaa.bbb.'],
    ['Basic dXNlcjpwYXNz', undefined],
    ['Token aaa.bbb.ccc', undefined],
    ['abc', undefined],
    ['bEaReR abc', 'abc'],
    ['  Bearer   abc  ', 'abc'],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['Bearer a, Bearer b', undefined],
    ['Token abc', undefined],
    ['Basic dXNlcjpwYXNz', undefined],
  ])('%j -> %j', (value, expected) => {
    // Act & Assess
    expect(bearerToken(value)).toBe(expected);
  });
});

describe('parseCertificateDate', () => {
  it.each([
    ['May 28 12:30:02 2019 GMT', Date.UTC(2019, 4, 28, 12, 30, 2)],
    ['Aug  5 09:36:04 2021 GMT', Date.UTC(2021, 7, 5, 9, 36, 4)],
    ['Feb 31 00:00:00 2021 GMT', Number.NaN],
    ['2021-08-05', Number.NaN],
    ['1', Number.NaN],
    [42, Number.NaN],
  ])('%j -> %d', (value, expected) => {
    // Act & Assess
    expect(parseCertificateDate(value)).toBe(expected);
  });
});
