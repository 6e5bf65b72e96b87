import { parseClfTime, parseIsoTime } from './clf-time';

/** `-` is how API Gateway, ALB and CloudFront write an empty value. */
export const emptyDash = (v: string | undefined): string => (v === undefined || v === '-' ? '' : v);

/**
 * Epoch ms of a logged time: epoch ms or seconds (number or numeric string; API Gateway's `requestTimeEpoch` is ms),
 * CLF (`$context.requestTime`) or ISO 8601. NaN when none of these.
 */
export function parseLoggedTime(value: unknown): number {
  if (typeof value === 'number') return value > 1e11 ? value : value * 1000;
  if (typeof value !== 'string') return Number.NaN;
  const s = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(s)) return parseLoggedTime(Number(s));
  const clf = parseClfTime(s);
  return Number.isNaN(clf) ? parseIsoTime(s) : clf;
}

/** A status code from a logged value, or NaN. */
export function parseStatus(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(emptyDash(String(value ?? '')));
  return Number.isInteger(n) && n >= 100 && n <= 599 ? n : Number.NaN;
}

/** The client IP of `ip:port` (ALB) or a bare address; IPv6 may come bracketed. */
export function stripPort(hostPort: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostPort);
  if (bracketed) return bracketed[1]!;
  const colons = hostPort.split(':').length - 1;
  if (colons === 1) return hostPort.slice(0, hostPort.indexOf(':'));
  // IPv6 written as addr:port without brackets: the last group is the port only when it follows a full address.
  if (colons > 1 && /:\d{1,5}$/.test(hostPort) && hostPort.split(':').length === 9) {
    return hostPort.slice(0, hostPort.lastIndexOf(':'));
  }
  return hostPort;
}

/**
 * A route template for a path from a log that records none (ALB, CloudFront): numeric and UUID-like segments become
 * `{id}`, so per-route policies and the report group `/items/17` and `/items/18` together.
 */
export function templateOf(path: string): string {
  return path
    .split('/')
    .map((s) =>
      /^\d+$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s) ? '{id}' : s,
    )
    .join('/');
}

/** Splits a URL (absolute or origin-form) into path and raw query. */
export function splitUrl(url: string): { path: string; query: string } {
  const noScheme = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  const hash = noScheme.indexOf('#');
  const clean = hash >= 0 ? noScheme.slice(0, hash) : noScheme;
  const q = clean.indexOf('?');
  const path = (q >= 0 ? clean.slice(0, q) : clean) || '/';
  return { path, query: q >= 0 ? clean.slice(q + 1) : '' };
}

/** Percent-decoding that never throws (CloudFront encodes user agents). */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
