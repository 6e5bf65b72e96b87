import type { ClientCertificate } from '../authorizer/types';

/** mTLS options: the optional allow-lists (`MTLS_ALLOWED_SUBJECTS`, `MTLS_ALLOWED_ISSUERS`), exact DN match. */
export interface MtlsOptions {
  readonly allowedSubjects: readonly string[] | undefined;
  readonly allowedIssuers: readonly string[] | undefined;
}

/**
 * Checks a client certificate. API Gateway validates the chain against the truststore but checks neither
 * revocation nor our allow-lists, and the certificate data arrives in the event for us to read.
 *
 * When an allow-list is configured a request **without** a certificate fails: it reached the API through a path
 * that skipped mTLS (e.g. the default execute-api endpoint left enabled, or a TOKEN authorizer, which never sees
 * the certificate).
 *
 * @returns undefined when acceptable, otherwise why not (for the log line)
 */
export function checkClientCertificate(
  cert: ClientCertificate | undefined,
  nowMs: number,
  options: MtlsOptions,
): string | undefined {
  const listsConfigured = options.allowedSubjects !== undefined || options.allowedIssuers !== undefined;
  if (cert === undefined)
    return listsConfigured ? 'client certificate required by the mTLS allow-lists' : undefined;
  if (Number.isNaN(cert.notBefore) || Number.isNaN(cert.notAfter))
    return 'certificate validity dates unreadable';
  if (nowMs < cert.notBefore) return 'certificate not yet valid';
  if (nowMs > cert.notAfter) return 'certificate expired';
  if (options.allowedSubjects !== undefined && !options.allowedSubjects.includes(cert.subjectDN.trim())) {
    return 'certificate subject not allowed';
  }
  if (options.allowedIssuers !== undefined && !options.allowedIssuers.includes(cert.issuerDN.trim())) {
    return 'certificate issuer not allowed';
  }
  return undefined;
}
