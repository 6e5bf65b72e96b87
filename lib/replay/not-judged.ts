import type { Policy } from '../../lambdas/policy/policy';
import type { FormatCapabilities } from './formats/types';

/**
 * What a replay cannot judge because the log does not carry the input, in the words the report prints. Pure: from what
 * the log's lines carry and the policy. The engine itself skips these on replayed requests (they carry only the logged
 * headers, `recordedHeaders`), so none of them can fire on guessed input.
 */
export function notJudged(
  capabilities: FormatCapabilities,
  policy: Policy,
  routes: readonly string[],
): string[] {
  const out: string[] = [];
  const browserRoutes = routes.filter((r) => policy.settingsFor(r).browserFacing);
  if (!capabilities.userAgent) {
    out.push('automation and scanner user agents: the log records no user agent');
  } else if (browserRoutes.length > 0) {
    out.push(
      `header fingerprints (a browser user agent without Accept / Accept-Language) on ${browserRoutes.length} browser-facing route(s): only the user agent is logged; tool and scanner user agents are still judged`,
    );
  }
  const otherHeaders = policy.inspectHeaders.filter((h) => h !== 'user-agent');
  if (otherHeaders.length > 0) {
    out.push(`malicious input in headers (${otherHeaders.join(', ')}): headers are not logged`);
  }
  if (!capabilities.query) {
    out.push(
      'query-string input (injection payloads, credentials in the URL): the log records no query string',
    );
  }
  if (!capabilities.path) {
    out.push(
      'the concrete path (injection in the path, id enumeration): the log records only the route template',
    );
  }
  if (!capabilities.principal) {
    out.push(
      'identities: the log names no principal, so every caller replays as anonymous (subject and token signals, route authorization)',
    );
  } else if (!capabilities.tokenHash) {
    out.push(
      'tokens: the log has no token hash, so each subject replays with one token (token sharing is judged per subject)',
    );
  }
  if (policy.clientClasses.length > 0) {
    out.push('client classes: client ids and certificates are not logged, so no class applies');
  }
  if (policy.deviceHeader) out.push(`the device header (${policy.deviceHeader}): headers are not logged`);
  return out;
}

/** Approximations the replay makes, printed beside what it cannot judge. */
export function approximations(capabilities: FormatCapabilities): string[] {
  return capabilities.route
    ? []
    : [
        'routes are derived from paths (numeric and UUID segments read as {id}): the log records no route template',
      ];
}
