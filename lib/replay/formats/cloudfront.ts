import { emptyDash, parseStatus, safeDecode, splitUrl, templateOf } from './fields';
import type { ReplayLine } from './types';

/**
 * The fields of a CloudFront standard log in their documented order (Amazon CloudFront Developer Guide, "Standard
 * log file format" / "Log file fields"); a `#Fields:` header in the file overrides it.
 */
export const CLOUDFRONT_DEFAULT_FIELDS: readonly string[] = [
  'date',
  'time',
  'x-edge-location',
  'sc-bytes',
  'c-ip',
  'cs-method',
  'cs(Host)',
  'cs-uri-stem',
  'sc-status',
  'cs(Referer)',
  'cs(User-Agent)',
  'cs-uri-query',
  'cs(Cookie)',
  'x-edge-result-type',
  'x-edge-request-id',
  'x-host-header',
  'cs-protocol',
  'cs-bytes',
  'time-taken',
  'x-forwarded-for',
  'ssl-protocol',
  'ssl-cipher',
  'x-edge-response-result-type',
  'cs-protocol-version',
  'fle-status',
  'fle-encrypted-fields',
  'c-port',
  'time-to-first-byte',
  'x-edge-detailed-result-type',
  'sc-content-type',
  'sc-content-len',
  'sc-range-start',
  'sc-range-end',
];

/**
 * A reader of CloudFront standard (W3C, tab-separated) logs. Stateful: a `#Fields:` line sets the field order for
 * the lines after it. Times are UTC to the second; `c-ip` is the viewer.
 */
export function cloudfrontParser(): (line: string) => ReplayLine | undefined | 'header' {
  let fields = CLOUDFRONT_DEFAULT_FIELDS;
  return (line) => {
    if (line.startsWith('#')) {
      if (line.startsWith('#Fields:')) fields = line.slice('#Fields:'.length).trim().split(/\s+/);
      return 'header';
    }
    const values = line.split('\t');
    const get = (name: string): string => {
      const i = fields.indexOf(name);
      return i >= 0 ? emptyDash(values[i]) : '';
    };
    const date = get('date');
    const clock = get('time');
    const time =
      /^\d{4}-\d{2}-\d{2}$/.test(date) && /^\d{2}:\d{2}:\d{2}$/.test(clock)
        ? Date.parse(`${date}T${clock}Z`)
        : Number.NaN;
    const status = parseStatus(get('sc-status'));
    const ip = get('c-ip');
    if (Number.isNaN(time) || Number.isNaN(status) || ip === '') return undefined;
    const { path } = splitUrl(get('cs-uri-stem') || '/');
    const query = get('cs-uri-query');
    return {
      requestId: get('x-edge-request-id'),
      ip,
      requestTimeEpoch: time,
      httpMethod: get('cs-method').toUpperCase(),
      resource: templateOf(path),
      path,
      status,
      responseLatency: 0,
      // CloudFront percent-encodes spaces and other characters in the user agent.
      userAgent: safeDecode(get('cs(User-Agent)')),
      principalId: '',
      tokenHash: '',
      recordedBy: 'other',
      ...(query ? { query } : {}),
    };
  };
}

export const looksLikeCloudfront = (text: string): boolean =>
  text.startsWith('#Version:') ||
  text.startsWith('#Fields:') ||
  /^\d{4}-\d{2}-\d{2}\t\d{2}:\d{2}:\d{2}\t/.test(text);
