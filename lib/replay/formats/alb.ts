import { parseIsoTime } from './clf-time';
import { emptyDash, parseStatus, splitUrl, stripPort, templateOf } from './fields';
import type { ReplayLine } from './types';

/** Space-separated fields, double-quoted ones kept whole (ALB access-log entries). */
export function splitQuoted(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2]!);
  return out;
}

const TYPES = new Set(['http', 'https', 'h2', 'grpcs', 'ws', 'wss']);

/**
 * An Application Load Balancer access-log entry (Elastic Load Balancing User Guide, "Access logs for your
 * Application Load Balancer", access log entries): type, time (response), elb, client:port, target:port, three
 * processing times, elb_status_code, target_status_code, received and sent bytes, "request line", "user agent", …,
 * request_creation_time (field 22). The request time is request_creation_time when present; the status is what the
 * load balancer answered the client.
 */
export function parseAlbLine(text: string): ReplayLine | undefined {
  const f = splitQuoted(text.trim());
  if (f.length < 14 || !TYPES.has(f[0]!)) return undefined;
  const created = f[21] ? parseIsoTime(f[21]) : Number.NaN;
  const time = Number.isNaN(created) ? parseIsoTime(f[1]!) : created;
  const status = parseStatus(f[8]);
  const ip = stripPort(f[3]!);
  if (Number.isNaN(time) || Number.isNaN(status) || ip === '-' || ip === '') return undefined;
  const [method = '', url = '/'] = f[12]!.split(' ');
  const { path, query } = splitUrl(url);
  return {
    requestId: emptyDash(f[17]),
    ip,
    requestTimeEpoch: time,
    httpMethod: method === '-' ? '' : method.toUpperCase(),
    resource: templateOf(path),
    path,
    status,
    responseLatency: 0,
    userAgent: emptyDash(f[13]),
    principalId: '',
    tokenHash: '',
    recordedBy: 'other',
    ...(query ? { query } : {}),
  };
}

export const looksLikeAlb = (text: string): boolean => {
  const f = text.trim().split(' ', 2);
  return TYPES.has(f[0] ?? '') && !Number.isNaN(parseIsoTime(f[1] ?? ''));
};
