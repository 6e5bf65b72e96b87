import { randomUUID } from 'node:crypto';
import { certifiedRsaKey, type JwksServer, type RsaKey, rsaKey, signRs256 } from './provider-jwks';

/**
 * Tokens and key sets shaped like those of the identity providers API Gateway users run, from each provider's
 * documentation (claim names, which claim holds the client, the audience, groups and scopes, the JWKS members):
 *
 * - Amazon Cognito: "Understanding the access token", "Understanding the identity (ID) token", "Verifying a JSON
 *   Web Token" (Amazon Cognito Developer Guide). Access tokens: `client_id`, `token_use: access`, `scope`,
 *   `cognito:groups`, no `aud`; ID tokens: `aud` = app client id, `token_use: id`. Separate keys for each.
 * - Auth0: "Access Token Profiles", "ID Token Structure", "JSON Web Key Set" (Auth0 docs): `aud` array with the
 *   API identifier and `/userinfo`, `azp`, `scope`, RBAC `permissions`; client credentials `sub` = `<id>@clients`,
 *   `gty`; JWKS with `x5c` and `x5t`.
 * - Okta: "Tokens and claims" / "Authorization servers" (Okta developer docs): custom authorization server issuer
 *   `https://<org>/oauth2/default`, `aud: api://default`, `cid`, `uid`, `scp` array; the org authorization server
 *   issuer is the org URL, its access tokens are for Okta's own APIs (`aud` = org URL) and its ID tokens have
 *   `aud` = client id.
 * - Microsoft Entra ID: "Access token claims reference", "ID token claims reference" (Microsoft identity platform):
 *   v1.0 `iss` = `https://sts.windows.net/<tid>/`, `appid`, `ver: 1.0`, App ID URI audience; v2.0 `iss` =
 *   `https://login.microsoftonline.com/<tid>/v2.0`, `azp`, `ver: 2.0`; `scp` string, `roles`, `groups` (GUIDs).
 *   JWKS keys carry `x5t`, `x5c` and (v2 discovery) an `issuer` template.
 * - Google: "Verify the Google ID token on your server side" (Google Identity): `iss` is `accounts.google.com` or
 *   `https://accounts.google.com`, `aud` = `azp` = the OAuth client id; JWKS keys `{e, kty, use, n, alg, kid}`.
 * - Keycloak: "Server Administration Guide" (OIDC tokens): `iss` = `<base>/realms/<realm>`, `azp`, `typ` claim
 *   (`Bearer` / `ID`), `realm_access.roles`, `resource_access`; the realm JWKS lists an `RSA-OAEP` key with
 *   `use: enc` beside the signing key.
 */

const now = (): number => Math.floor(Date.now() / 1000);

/** A provider set up on the loopback JWKS server: the authorizer environment, and token makers. */
export interface Provider {
  readonly name: string;
  /** The environment the README section for this provider gives (JWKS URL pointed at loopback). */
  readonly env: Record<string, string>;
  readonly tokens: Record<string, () => string>;
}

const rsaJwk = (key: RsaKey, extra: Record<string, unknown> = {}) => ({
  kty: 'RSA',
  n: key.n,
  e: key.e,
  kid: key.kid,
  ...extra,
});

export const COGNITO = {
  poolId: 'eu-west-1_AbCdEf123',
  issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
  webClient: '1example23456789abcdefghij',
  machineClient: '7machine3456789abcdefghij',
  otherClient: '9otherapp456789abcdefghij',
};

/** Amazon Cognito user pool: user access and ID tokens, client-credentials access tokens. */
export function cognito(server: JwksServer): Provider {
  const idKey = rsaKey('cognito-id-key=');
  const accessKey = rsaKey('cognito-access-key=');
  const jwksUri = server.serve(`/${COGNITO.poolId}/.well-known/jwks.json`, {
    keys: [idKey, accessKey].map((key) => ({
      alg: 'RS256',
      e: key.e,
      kid: key.kid,
      kty: 'RSA',
      n: key.n,
      use: 'sig',
    })),
  });
  const common = () => ({
    iss: COGNITO.issuer,
    auth_time: now(),
    iat: now(),
    exp: now() + 3600,
    jti: randomUUID(),
  });
  const sub = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
  const access = (clientId: string, extra: Record<string, unknown> = {}) =>
    signRs256(
      { kid: accessKey.kid },
      {
        sub,
        'cognito:groups': ['admins', 'staff'],
        ...common(),
        version: 2,
        client_id: clientId,
        origin_jti: randomUUID(),
        event_id: randomUUID(),
        token_use: 'access',
        scope: 'openid orders/read',
        username: 'alice',
        ...extra,
      },
      accessKey,
    );
  return {
    name: 'Amazon Cognito',
    env: {
      COGNITO_USER_POOL_ID: COGNITO.poolId,
      AWS_REGION: 'eu-west-1',
      JWT_CLIENT_IDS: `${COGNITO.webClient},${COGNITO.machineClient}`,
      // Only the key set moves to loopback; the issuer is the one the pool id derives.
      JWKS_URI: jwksUri,
    },
    tokens: {
      userAccess: () => access(COGNITO.webClient),
      clientCredentials: () =>
        signRs256(
          { kid: accessKey.kid },
          {
            sub: COGNITO.machineClient,
            token_use: 'access',
            scope: 'orders/read orders/write',
            auth_time: now(),
            iss: COGNITO.issuer,
            exp: now() + 3600,
            iat: now(),
            version: 2,
            jti: randomUUID(),
            client_id: COGNITO.machineClient,
          },
          accessKey,
        ),
      idToken: () =>
        signRs256(
          { kid: idKey.kid },
          {
            sub,
            'cognito:groups': ['admins'],
            email_verified: true,
            ...common(),
            'cognito:username': 'alice',
            origin_jti: randomUUID(),
            aud: COGNITO.webClient,
            event_id: randomUUID(),
            token_use: 'id',
            email: 'alice@example.com',
          },
          idKey,
        ),
      otherClientAccess: () => access(COGNITO.otherClient),
      otherPoolAccess: () =>
        access(COGNITO.webClient, { iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other0000' }),
    },
  };
}

export const AUTH0 = {
  issuer: 'https://gatewarden-test.eu.auth0.com/',
  api: 'https://orders.example.com',
  client: 'Zq8dTzK2mVn4cLw9RbYx1AeH6uJs3PoF',
};

/** Auth0 tenant: user access tokens (RBAC permissions), client credentials, ID tokens, RFC 9068 profile. */
export function auth0(server: JwksServer): Provider {
  const key = certifiedRsaKey(
    'NjVBRjY5MDlCMUIwNzU4RTA2QzZFMDQ4QzQ2MDAyQjVDNjk1RTM2Qg',
    'gatewarden-test.eu.auth0.com',
  );
  const jwksUri = server.serve('/auth0/.well-known/jwks.json', {
    keys: [rsaJwk(key, { use: 'sig', x5t: key.x5t, x5c: [key.x5c], alg: 'RS256' })],
  });
  const times = () => ({ iat: now(), exp: now() + 86_400 });
  const header = { typ: 'JWT', kid: key.kid };
  return {
    name: 'Auth0',
    env: { JWT_ISSUER: AUTH0.issuer, JWKS_URI: jwksUri, JWT_AUDIENCE: AUTH0.api },
    tokens: {
      userAccess: () =>
        signRs256(
          header,
          {
            iss: AUTH0.issuer,
            sub: 'auth0|64f1c2a9e3b4d5f6a7b8c9d0',
            aud: [AUTH0.api, `${AUTH0.issuer}userinfo`],
            ...times(),
            scope: 'openid profile email read:orders',
            azp: AUTH0.client,
            permissions: ['read:orders'],
          },
          key,
        ),
      // The "RFC 9068" access token profile: header typ at+jwt, client_id instead of azp.
      rfc9068Access: () =>
        signRs256(
          { typ: 'at+jwt', kid: key.kid },
          {
            iss: AUTH0.issuer,
            sub: 'auth0|64f1c2a9e3b4d5f6a7b8c9d0',
            aud: AUTH0.api,
            ...times(),
            scope: 'read:orders',
            client_id: AUTH0.client,
            jti: randomUUID(),
          },
          key,
        ),
      clientCredentials: () =>
        signRs256(
          header,
          {
            iss: AUTH0.issuer,
            sub: `${AUTH0.client}@clients`,
            aud: AUTH0.api,
            ...times(),
            scope: 'read:orders write:orders',
            gty: 'client-credentials',
            azp: AUTH0.client,
          },
          key,
        ),
      idToken: () =>
        signRs256(
          header,
          {
            iss: AUTH0.issuer,
            aud: AUTH0.client,
            sub: 'auth0|64f1c2a9e3b4d5f6a7b8c9d0',
            ...times(),
            nickname: 'alice',
            email: 'alice@example.com',
            sid: randomUUID(),
          },
          key,
        ),
      otherApiAccess: () =>
        signRs256(
          header,
          {
            iss: AUTH0.issuer,
            sub: 'auth0|x',
            aud: 'https://billing.example.com',
            ...times(),
            azp: AUTH0.client,
            scope: 'read:orders',
          },
          key,
        ),
    },
  };
}

export const OKTA = {
  org: 'https://gatewarden-test.okta.com',
  customIssuer: 'https://gatewarden-test.okta.com/oauth2/default',
  client: '0oa1b2c3d4e5f6g7h8i9',
  otherClient: '0oaZZZZZZZZZZZZZZZZZ',
};

/** Okta: the custom ("default") authorization server's access tokens, and the org authorization server's tokens. */
export function oktaCustom(server: JwksServer): Provider {
  const key = rsaKey('ZPjAXa7vT1BzqJ3fVqPb3Y7eDyGQzB5zTqXVQ8z1K5c');
  const jwksUri = server.serve('/oauth2/default/v1/keys', {
    keys: [rsaJwk(key, { alg: 'RS256', use: 'sig' })],
  });
  const access = (extra: Record<string, unknown> = {}) =>
    signRs256(
      { kid: key.kid },
      {
        ver: 1,
        jti: `AT.${randomUUID()}`,
        iss: OKTA.customIssuer,
        aud: 'api://default',
        iat: now(),
        exp: now() + 3600,
        cid: OKTA.client,
        uid: '00u1a2b3c4d5e6f7g8h9',
        scp: ['openid', 'orders.read'],
        auth_time: now(),
        sub: 'alice@example.com',
        groups: ['Everyone', 'OrderAdmins'],
        ...extra,
      },
      key,
    );
  return {
    name: 'Okta (custom authorization server)',
    env: {
      JWT_ISSUER: OKTA.customIssuer,
      JWKS_URI: jwksUri,
      JWT_AUDIENCE: 'api://default',
      JWT_CLIENT_IDS: OKTA.client,
    },
    tokens: {
      userAccess: () => access(),
      clientCredentials: () =>
        access({ sub: OKTA.client, uid: undefined, groups: undefined, scp: ['orders.write'] }),
      otherClientAccess: () => access({ cid: OKTA.otherClient }),
      orgIssuerAccess: () => access({ iss: OKTA.org }),
    },
  };
}

export function oktaOrg(server: JwksServer): Provider {
  const key = rsaKey('org-kid-7Yw3B9z2vL6xQ0pN4tR8sK1mC5dF9hJ2');
  const jwksUri = server.serve('/oauth2/v1/keys', { keys: [rsaJwk(key, { alg: 'RS256', use: 'sig' })] });
  const token = (extra: Record<string, unknown>) =>
    signRs256(
      { kid: key.kid },
      {
        ver: 1,
        iss: OKTA.org,
        sub: '00u1a2b3c4d5e6f7g8h9',
        iat: now(),
        exp: now() + 3600,
        auth_time: now(),
        ...extra,
      },
      key,
    );
  return {
    name: 'Okta (org authorization server)',
    // The org server's ID tokens name the app in `aud`: the client id list is the audience.
    env: { JWT_ISSUER: OKTA.org, JWKS_URI: jwksUri, JWT_CLIENT_IDS: OKTA.client },
    tokens: {
      idToken: () =>
        token({
          jti: `ID.${randomUUID()}`,
          aud: OKTA.client,
          amr: ['pwd'],
          idp: '00o1a2b3c4',
          at_hash: 'x',
          groups: ['Everyone'],
        }),
      // Org server access tokens are for Okta's own APIs (aud = the org), never for yours.
      orgAccess: () =>
        token({
          jti: `AT.${randomUUID()}`,
          aud: OKTA.org,
          cid: OKTA.client,
          uid: '00u1',
          scp: ['okta.users.read'],
        }),
      otherAppIdToken: () => token({ jti: `ID.${randomUUID()}`, aud: OKTA.otherClient }),
    },
  };
}

export const ENTRA = {
  tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  otherTenant: 'aaaabbbb-0000-cccc-1111-dddd2222eeee',
  api: '6e74172b-be56-4843-9ff4-e66a39bb12e3',
  appIdUri: 'api://orders',
  client: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
  otherClient: '11112222-3333-4444-5555-666677778888',
};
const v2Issuer = (tenant: string) => `https://login.microsoftonline.com/${tenant}/v2.0`;
const v1Issuer = (tenant: string) => `https://sts.windows.net/${tenant}/`;

/** Microsoft Entra ID: v1.0 and v2.0 access tokens, app-only tokens, many groups, two tenants (multi-tenant app). */
export function entra(server: JwksServer): Provider {
  const key = certifiedRsaKey('nOo3ZDrODXEK1jKWhXslHR_KXEg', 'accounts.accesscontrol.windows.net');
  const jwk = rsaJwk(key, {
    use: 'sig',
    x5t: key.x5t,
    x5c: [key.x5c],
    cloud_instance_name: 'microsoftonline.com',
    issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
  });
  // One key set for both token versions (the v1 and v2 discovery documents list the same keys).
  const jwksUri = server.serve('/common/discovery/v2.0/keys', { keys: [jwk] });
  const header = { typ: 'JWT', kid: key.kid };
  const common = (tenant: string) => ({
    iat: now(),
    nbf: now(),
    exp: now() + 4500,
    aio: 'E2ZgYJjY/3n5m9y0',
    oid: '00000000-0000-0000-66f3-3332eca7ea81',
    tid: tenant,
    uti: 'fqiBqXLPj0eQa82S-IYFAA',
    rh: '0.AVYAv4j5cvGGr0GRqy180BHbRw.',
  });
  const v2 = (tenant: string, extra: Record<string, unknown> = {}) =>
    signRs256(
      header,
      {
        aud: ENTRA.api,
        iss: v2Issuer(tenant),
        ...common(tenant),
        azp: ENTRA.client,
        azpacr: '0',
        name: 'Alice',
        preferred_username: 'alice@contoso.com',
        scp: 'Orders.Read',
        roles: ['Orders.Reader'],
        sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
        ver: '2.0',
        ...extra,
      },
      key,
    );
  const groups = Array.from(
    { length: 150 },
    (_, i) => `${String(i).padStart(8, '0')}-1a2b-4c3d-8e9f-${'0a1b2c3d4e5f'}`,
  );
  return {
    name: 'Microsoft Entra ID',
    env: {
      JWT_ISSUERS: JSON.stringify([
        { issuer: v2Issuer(ENTRA.tenant), jwksUri },
        { issuer: v1Issuer(ENTRA.tenant), jwksUri },
        // A second tenant of a multi-tenant app: an exact issuer per tenant, never a wildcard.
        { issuer: v2Issuer(ENTRA.otherTenant), jwksUri },
      ]),
      JWT_AUDIENCE: `${ENTRA.api},${ENTRA.appIdUri}`,
      JWT_CLIENT_IDS: ENTRA.client,
    },
    tokens: {
      v2Access: () => v2(ENTRA.tenant),
      v2OtherTenant: () => v2(ENTRA.otherTenant),
      v2ManyGroups: () => v2(ENTRA.tenant, { groups }),
      v2AppOnly: () =>
        v2(ENTRA.tenant, {
          scp: undefined,
          roles: ['Orders.ReadWrite.All'],
          idtyp: 'app',
          name: undefined,
          preferred_username: undefined,
        }),
      v1Access: () =>
        signRs256(
          { ...header, x5t: key.kid },
          {
            aud: ENTRA.appIdUri,
            iss: v1Issuer(ENTRA.tenant),
            ...common(ENTRA.tenant),
            acr: '1',
            amr: ['pwd'],
            appid: ENTRA.client,
            appidacr: '0',
            family_name: 'Example',
            given_name: 'Alice',
            ipaddr: '192.0.2.10',
            name: 'Alice Example',
            scp: 'Orders.Read',
            sub: 'l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA',
            unique_name: 'alice@contoso.com',
            upn: 'alice@contoso.com',
            ver: '1.0',
          },
          key,
        ),
      v2OtherClient: () => v2(ENTRA.tenant, { azp: ENTRA.otherClient }),
      v2UnknownTenant: () => v2('99999999-9999-9999-9999-999999999999'),
      v2GraphAudience: () => v2(ENTRA.tenant, { aud: '00000003-0000-0000-c000-000000000000' }),
    },
  };
}

export const GOOGLE = {
  client: '1234567890-abc123def456.apps.googleusercontent.com',
  otherClient: '999-other.apps.googleusercontent.com',
};

/** Google ID tokens, under both documented issuer values. */
export function google(server: JwksServer): Provider {
  const keys = [
    rsaKey('89ce3598c473af1bda4bff95e6c8736450206fba'),
    rsaKey('6f7254101f56e41cf35c9926de84a2d552b4c6f1'),
  ];
  const jwksUri = server.serve('/oauth2/v3/certs', {
    keys: keys.map((key) => ({ e: key.e, kty: 'RSA', use: 'sig', n: key.n, alg: 'RS256', kid: key.kid })),
  });
  const token = (iss: string, aud = GOOGLE.client) =>
    signRs256(
      { kid: keys[1]!.kid, typ: 'JWT' },
      {
        iss,
        azp: aud,
        aud,
        sub: '110169484474386276334',
        email: 'alice@gmail.com',
        email_verified: true,
        at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q',
        name: 'Alice',
        iat: now(),
        exp: now() + 3600,
      },
      keys[1]!,
    );
  return {
    name: 'Google',
    env: {
      JWT_ISSUERS: JSON.stringify([
        { issuer: 'https://accounts.google.com', jwksUri },
        { issuer: 'accounts.google.com', jwksUri },
      ]),
      JWT_CLIENT_IDS: GOOGLE.client,
      JWT_TOKEN_USE: 'id',
    },
    tokens: {
      httpsIssuer: () => token('https://accounts.google.com'),
      bareIssuer: () => token('accounts.google.com'),
      otherClient: () => token('https://accounts.google.com', GOOGLE.otherClient),
      lookalikeIssuer: () => token('https://accounts.google.com.evil.example'),
    },
  };
}

export const KEYCLOAK = {
  issuer: 'https://sso.example.com/realms/orders',
  client: 'orders-web',
};

/** Keycloak realm: access and ID tokens (typ claim), realm roles, a JWKS with an encryption key. */
export function keycloak(server: JwksServer): Provider {
  const sig = certifiedRsaKey('Zt1kqf8ZcL0mR0yVw1d9iOaYxVYJxg9nq2WmJbXzR1c', 'orders');
  const enc = certifiedRsaKey('e7cV0p2kq9vW0Zl1R5nq8dM4sJ3yT6uB2aF9hK0xL1o', 'orders');
  const jwksUri = server.serve('/realms/orders/protocol/openid-connect/certs', {
    keys: [
      rsaJwk(enc, { alg: 'RSA-OAEP', use: 'enc', x5c: [enc.x5c], x5t: enc.x5t, 'x5t#S256': enc.x5tS256 }),
      rsaJwk(sig, { alg: 'RS256', use: 'sig', x5c: [sig.x5c], x5t: sig.x5t, 'x5t#S256': sig.x5tS256 }),
    ],
  });
  const token = (extra: Record<string, unknown>) =>
    signRs256(
      { typ: 'JWT', kid: sig.kid },
      {
        exp: now() + 300,
        iat: now(),
        auth_time: now(),
        jti: randomUUID(),
        iss: KEYCLOAK.issuer,
        sub: 'f1b4c9e2-6c1d-4a7e-9b3f-2d8e7a6c5b4a',
        azp: KEYCLOAK.client,
        sid: randomUUID(),
        acr: '1',
        preferred_username: 'alice',
        email_verified: true,
        ...extra,
      },
      sig,
    );
  return {
    name: 'Keycloak',
    env: {
      JWT_ISSUER: KEYCLOAK.issuer,
      JWKS_URI: jwksUri,
      // An audience mapper on the client scope adds the API; the default `account` audience is not it.
      JWT_AUDIENCE: 'orders-api',
      JWT_CLIENT_IDS: KEYCLOAK.client,
    },
    tokens: {
      access: () =>
        token({
          aud: ['orders-api', 'account'],
          typ: 'Bearer',
          'allowed-origins': ['https://app.example.com'],
          realm_access: { roles: ['offline_access', 'order-admin'] },
          resource_access: { account: { roles: ['manage-account'] } },
          scope: 'openid profile email',
        }),
      idToken: () => token({ aud: KEYCLOAK.client, typ: 'ID', at_hash: 'x', nonce: 'n' }),
      accountOnly: () => token({ aud: 'account', typ: 'Bearer', scope: 'openid' }),
    },
  };
}
