import { describe, expect, it } from 'vitest';
import type { ClientCertificate } from '../../../lambdas/authorizer/types';
import { DEFAULT_PRIMITIVE_AUTH_QUERY_PARAMS } from '../../../lambdas/identity/config';
import { checkClientCertificate } from '../../../lambdas/identity/mtls';
import { findPrimitiveAuth } from '../../../lambdas/identity/primitive-auth';

const params = [...DEFAULT_PRIMITIVE_AUTH_QUERY_PARAMS];

describe('findPrimitiveAuth', () => {
  it.each(['Basic dXNlcjpwYXNz', 'basic dXNlcjpwYXNz', 'BASIC x', 'Bearer abc, Basic dXNlcjpwYXNz'])(
    'finds Authorization %j',
    (authorization) => {
      // Act & Assess
      expect(findPrimitiveAuth({ authorization }, {}, params)).toEqual({ kind: 'basic-authorization' });
    },
  );

  it.each(['access_token', 'id_token', 'api_key', 'apikey', 'password', 'API_KEY', 'Password'])(
    'finds query parameter %j',
    (name) => {
      // Act & Assess
      expect(findPrimitiveAuth({}, { [name]: 'x' }, params)).toEqual({
        kind: 'query-credential',
        parameter: name.toLowerCase(),
      });
    },
  );

  it('leaves bearer tokens, pagination tokens and other parameters alone; an empty list disables', () => {
    // Act & Assess
    expect(
      findPrimitiveAuth({ authorization: 'Bearer abc' }, { next_token: 'x', page: '2' }, params),
    ).toBeUndefined();
    expect(findPrimitiveAuth({ authorization: 'Basically' }, {}, params)).toBeUndefined();
    expect(findPrimitiveAuth({}, { password: 'x' }, [])).toBeUndefined();
  });
});

describe('checkClientCertificate', () => {
  const now = Date.UTC(2020, 0, 1);
  const cert: ClientCertificate = {
    subjectDN: 'CN=client-a,O=Example',
    issuerDN: 'CN=Example CA',
    serialNumber: '01',
    notBefore: Date.UTC(2019, 4, 28),
    notAfter: Date.UTC(2021, 7, 5),
  };
  const open = { allowedSubjects: undefined, allowedIssuers: undefined };

  it('accepts a certificate within its validity dates', () => {
    // Act & Assess
    expect(checkClientCertificate(cert, now, open)).toBeUndefined();
  });

  it.each([
    ['expired', { notAfter: now - 1 }, 'certificate expired'],
    ['not yet valid', { notBefore: now + 1 }, 'certificate not yet valid'],
    ['unreadable dates', { notAfter: Number.NaN }, 'certificate validity dates unreadable'],
  ])('refuses a certificate that is %s', (_label, change, message) => {
    // Act & Assess
    expect(checkClientCertificate({ ...cert, ...change }, now, open)).toBe(message);
  });

  it('applies the subject and issuer allow-lists, exact match', () => {
    // Prepare
    const lists = { allowedSubjects: ['CN=client-a,O=Example'], allowedIssuers: ['CN=Example CA'] };

    // Act & Assess
    expect(checkClientCertificate(cert, now, lists)).toBeUndefined();
    expect(checkClientCertificate({ ...cert, subjectDN: 'CN=client-b,O=Example' }, now, lists)).toBe(
      'certificate subject not allowed',
    );
    expect(checkClientCertificate({ ...cert, issuerDN: 'CN=Other CA' }, now, lists)).toBe(
      'certificate issuer not allowed',
    );
  });

  it('requires a certificate only when an allow-list is configured', () => {
    // Act & Assess
    expect(checkClientCertificate(undefined, now, open)).toBeUndefined();
    expect(
      checkClientCertificate(undefined, now, { allowedSubjects: ['CN=a'], allowedIssuers: undefined }),
    ).toMatch(/required/);
  });
});
