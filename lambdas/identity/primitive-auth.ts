/**
 * Primitive authentication: credentials that travel in ways a bearer-token API must refuse. `Authorization: Basic`
 * is a reusable password on every request; credentials in the query string end up in access logs, browser history
 * and referrers. Both are refused even when a valid bearer token is also present.
 */

/** What was found, for the log line (never the credential itself). */
export type PrimitiveAuthFinding =
  | { readonly kind: 'basic-authorization' }
  | { readonly kind: 'query-credential'; readonly parameter: string };

/**
 * Looks for primitive credentials.
 * @param headers lower-cased header names (the normalised request's `headers`)
 * @param query query-string parameters as received
 * @param credentialParams lower-cased parameter names that carry credentials (`PRIMITIVE_AUTH_QUERY_PARAMS`)
 * @returns the first finding, or undefined when there is none
 */
export function findPrimitiveAuth(
  headers: Readonly<Record<string, string>>,
  query: Readonly<Record<string, string>>,
  credentialParams: readonly string[],
): PrimitiveAuthFinding | undefined {
  const authorization = Object.hasOwn(headers, 'authorization') ? headers.authorization : undefined;
  // The scheme is case-insensitive (RFC 9110 §11.1); multi-valued headers were joined with ", ".
  if (authorization !== undefined && /(^|,)\s*basic(\s|$)/i.test(authorization)) {
    return { kind: 'basic-authorization' };
  }
  if (credentialParams.length > 0) {
    for (const name of Object.keys(query)) {
      const lower = name.toLowerCase();
      if (credentialParams.includes(lower)) return { kind: 'query-credential', parameter: lower };
    }
  }
  return undefined;
}
