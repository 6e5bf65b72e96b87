import { emptyDash, parseLoggedTime, parseStatus } from './fields';
import type { ReplayLine } from './types';

/** The fields replay needs from a `$context` JSON line. */
export const CONTEXT_FIELDS = [
  'requestTime',
  'ip',
  'httpMethod',
  'route',
  'path',
  'status',
  'userAgent',
  'principalId',
  'requestId',
  'tokenHash',
  'label',
] as const;
export type ContextField = (typeof CONTEXT_FIELDS)[number];

/**
 * Where each field is looked for, in order, when `--map` does not name it: the key names of the console's JSON
 * example, of `$context` variables written as keys (`identity.sourceIp`, nested or dotted) and of common variants.
 * Times may be epoch ms (`$context.requestTimeEpoch`), CLF (`$context.requestTime`) or ISO 8601.
 */
export const DEFAULT_CONTEXT_KEYS: Readonly<Record<ContextField, readonly string[]>> = {
  requestTime: ['requestTimeEpoch', 'requestTime', 'timeEpoch', 'time', 'timestamp'],
  ip: ['ip', 'sourceIp', 'identity.sourceIp', 'sourceIP', 'clientIp', 'http.sourceIp'],
  httpMethod: ['httpMethod', 'method', 'http.method'],
  route: ['routeKey', 'resourcePath', 'resource'],
  path: ['path', 'rawPath', 'http.path'],
  status: ['status', 'statusCode'],
  userAgent: ['userAgent', 'identity.userAgent', 'http.userAgent', 'user-agent'],
  principalId: ['principalId', 'authorizer.principalId', 'authorizer.sub', 'authorizer.claims.sub', 'sub'],
  requestId: ['requestId', 'extendedRequestId', 'id'],
  tokenHash: ['tokenHash', 'authorizer.tokenHash'],
  label: ['label'],
};

const ALIASES: Readonly<Record<string, ContextField>> = {
  requesttime: 'requestTime',
  time: 'requestTime',
  requesttimeepoch: 'requestTime',
  ip: 'ip',
  sourceip: 'ip',
  method: 'httpMethod',
  httpmethod: 'httpMethod',
  route: 'route',
  routekey: 'route',
  resource: 'route',
  resourcepath: 'route',
  path: 'path',
  status: 'status',
  useragent: 'userAgent',
  principal: 'principalId',
  principalid: 'principalId',
  requestid: 'requestId',
  tokenhash: 'tokenHash',
  label: 'label',
};

/** A `--map` that names an unknown field or is malformed; the message says which and what is accepted. */
export class FieldMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldMapError';
  }
}

/** Parses `--map requestTime=ts,ip=client.ip` into field → key. */
export function parseFieldMap(spec: string | undefined): Partial<Record<ContextField, string>> {
  const out: Partial<Record<ContextField, string>> = {};
  if (!spec) return out;
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const field = eq > 0 ? ALIASES[part.slice(0, eq).trim().toLowerCase()] : undefined;
    const key = eq > 0 ? part.slice(eq + 1).trim() : '';
    if (!field || key === '') {
      throw new FieldMapError(
        `--map: "${part}" is not <field>=<json key>; fields: ${CONTEXT_FIELDS.join(', ')} (e.g. --map requestTime=ts,ip=identity.sourceIp)`,
      );
    }
    out[field] = key;
  }
  return out;
}

/** A key's value: a literal key first (`"identity.sourceIp": ...`), else a path through nested objects. */
function lookup(json: Record<string, unknown>, key: string): unknown {
  if (key in json) return json[key];
  let at: unknown = json;
  for (const segment of key.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[segment];
  }
  return at;
}

function pick(json: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const key of keys) {
    const v = lookup(json, key);
    if (v !== undefined && v !== null && v !== '' && v !== '-') return v;
  }
  return undefined;
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : emptyDash(String(v)));

/** A parser for API Gateway access logs in a `$context` JSON format, with `map` overriding where fields are read. */
export function contextJsonParser(
  map: Partial<Record<ContextField, string>> = {},
): (line: string) => ReplayLine | undefined {
  const keys = (f: ContextField): readonly string[] => (map[f] ? [map[f]!] : DEFAULT_CONTEXT_KEYS[f]);
  return (line) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return undefined;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
    const o = json as Record<string, unknown>;
    const time = parseLoggedTime(pick(o, keys('requestTime')));
    const status = parseStatus(pick(o, keys('status')));
    const ip = text(pick(o, keys('ip')));
    if (!Number.isFinite(time) || time <= 0 || Number.isNaN(status) || ip === '' || ip.length > 64) {
      return undefined;
    }
    const method = text(pick(o, keys('httpMethod'))).toUpperCase();
    const path = text(pick(o, keys('path')));
    const label = text(pick(o, keys('label')));
    return {
      requestId: text(pick(o, keys('requestId'))),
      ip,
      requestTimeEpoch: time,
      httpMethod: method,
      resource: text(pick(o, keys('route'))),
      path,
      status,
      responseLatency: 0,
      userAgent: text(pick(o, keys('userAgent'))),
      principalId: text(pick(o, keys('principalId'))),
      tokenHash: text(pick(o, keys('tokenHash'))),
      ...(label === 'human' || label === 'bot' ? { label } : {}),
      recordedBy: 'other',
    };
  };
}
