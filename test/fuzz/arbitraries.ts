import fc from 'fast-check';
import { httpRequestEvent, restRequestEvent } from '../../lib/local/events';

/**
 * Generators of hostile input for the fuzz suites and `npm run fuzz`: strings that are huge, unicode, binary or
 * named like prototype members; malformed addresses and forwarding chains; authorizer, log-delivery and stream
 * events that start well-formed and are then mutated (fields deleted, retyped, replaced by arbitrary JSON).
 */

/** Characters that break naive code: multi-byte, astral, control, separators, quotes, a lone surrogate. */
const NASTY_CHARS = ['a', 'é', '𝕏', '🙂', '\u0000', '\u202e', '\ud800', ',', ';', '"', '\\', '%', ' ', '\n'];

/** A string of 1,000 to 40,000 copies of one nasty character (header values beyond API Gateway's 10 KB cap). */
export const hugeString = fc
  .record({ char: fc.constantFrom(...NASTY_CHARS), n: fc.integer({ min: 1_000, max: 40_000 }) })
  .map(({ char, n }) => char.repeat(n));

/** Any string a client could send, and some it could not. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 12 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 9 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 9 },
  {
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      '',
      '-',
    ),
    weight: 6,
  },
  // Rare per string, yet several strings per event: about one event in six carries one.
  { arbitrary: hugeString, weight: 1 },
);

/** Addresses, near-addresses and garbage where an address is expected. */
export const ipLike: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.ipV4(), weight: 4 },
  { arbitrary: fc.ipV6(), weight: 2 },
  { arbitrary: fc.ipV4Extended(), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '127.0.0.1',
      '::1',
      '[::1]:443',
      '203.0.113.7:8080',
      '::ffff:198.51.100.9',
      'fe80::1%eth0',
      '999.1.1.1',
      '1.2.3',
      '0x7f.0.0.1',
      '01.02.03.004',
      'unknown',
      '',
      ' ',
      'localhost',
    ),
    weight: 3,
  },
  { arbitrary: hostileString, weight: 1 },
);

/** An X-Forwarded-For chain: forged entries, odd separators and spacing. */
export const xffChain: fc.Arbitrary<string> = fc
  .record({
    entries: fc.array(ipLike, { minLength: 0, maxLength: 12 }),
    sep: fc.constantFrom(',', ', ', ' ,', ',,', ';'),
  })
  .map(({ entries, sep }) => entries.join(sep));

/** Header names: the ones that matter (in several cases), prototype names and random ones. */
export const headerName: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      'Authorization',
      'authorization',
      'AUTHORIZATION',
      'X-Forwarded-For',
      'x-forwarded-for',
      'X-Real-IP',
      'True-Client-IP',
      'CF-Connecting-IP',
      'Forwarded',
      'Cookie',
      'User-Agent',
      'Accept',
      'Accept-Language',
      'Referer',
      'Content-Type',
      '__proto__',
      'constructor',
    ),
    weight: 3,
  },
  { arbitrary: fc.string({ minLength: 1, maxLength: 20 }), weight: 1 },
);

/** A header value, usually a string, sometimes not (REST events are JSON: anything can arrive). */
export const headerValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 6 },
  { arbitrary: xffChain, weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 1 }), weight: 1 },
);

/** Hostile header maps (plain objects, as Lambda's JSON parsing produces them). */
export const headers: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(headerName, headerValue, {
  maxKeys: 8,
});

/** Mutations of a valid compact JWS: truncation, flips, swapped segments, extra segments, padding. */
export function mutatedToken(valid: string): fc.Arbitrary<string> {
  return fc
    .record({
      op: fc.constantFrom('truncate', 'flip', 'swap', 'extra', 'pad', 'dup', 'case', 'strip-sig'),
      at: fc.nat(),
      char: fc.constantFrom('A', '_', '-', '+', '/', '=', '.', ' ', 'é'),
    })
    .map(({ op, at, char }) => {
      const i = at % valid.length;
      const [h = '', p = '', s = ''] = valid.split('.');
      switch (op) {
        case 'truncate':
          return valid.slice(0, i);
        case 'flip':
          return `${valid.slice(0, i)}${char}${valid.slice(i + 1)}`;
        case 'swap':
          return `${p}.${h}.${s}`;
        case 'extra':
          return `${valid}.${h}`;
        case 'pad':
          return `${valid}==`;
        case 'dup':
          return `${valid}${valid}`;
        case 'case':
          return valid.toUpperCase();
        default:
          return `${h}.${p}.`;
      }
    });
}

/** The value of an Authorization header: valid, mutated, wrong scheme, several tokens, garbage. */
export function authorizationValue(valid: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { arbitrary: fc.constant(`Bearer ${valid}`), weight: 4 },
    { arbitrary: fc.constant(undefined), weight: 2 },
    { arbitrary: mutatedToken(valid).map((t) => `Bearer ${t}`), weight: 4 },
    {
      arbitrary: fc.constantFrom(
        `bearer ${valid}`,
        `Bearer  ${valid} `,
        `Bearer ${valid}, Bearer ${valid}`,
        `Bearer ${valid} ${valid}`,
        `Basic dXNlcjpwYXNz`,
        `Token ${valid}`,
        valid,
        'Bearer ',
        'Bearer',
        'Bearer e30.e30.',
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.',
      ),
      weight: 2,
    },
    { arbitrary: hostileString.map((s) => `Bearer ${s}`), weight: 1 },
    { arbitrary: hostileString, weight: 1 },
  );
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'get', 'BREW', ''];
const RESOURCES = ['/items/{id}', '/login', '/catalog', '/admin/backup', '/{proxy+}', '/', ''];

/** Everything a well-formed request event is built from. */
export interface RequestParts {
  readonly method: string;
  readonly resource: string;
  readonly path: string;
  readonly headers: Record<string, unknown>;
  readonly query: Record<string, string>;
  readonly sourceIp: string;
  readonly offsetMs: number;
  readonly authorization: string | undefined;
}

export function requestParts(valid: string): fc.Arbitrary<RequestParts> {
  return fc.record({
    method: fc.constantFrom(...METHODS),
    resource: fc.constantFrom(...RESOURCES),
    path: fc.oneof(
      fc.constantFrom('/items/1', '/items/00042', '/login', '/../../etc/passwd', "/items/1' OR '1'='1"),
      hostileString.map((s) => `/${s}`),
    ),
    headers,
    query: fc.dictionary(
      fc.oneof(
        fc.constantFrom('access_token', 'api_key', 'q', 'id', 'ACCESS_TOKEN'),
        fc.string({ maxLength: 10 }),
      ),
      hostileString,
      { maxKeys: 4 },
    ),
    sourceIp: ipLike,
    // Within the valid token's lifetime (see the targets): most valid tokens pass, so the engine path is exercised.
    offsetMs: fc.integer({ min: 0, max: 29 * 86_400_000 }),
    authorization: authorizationValue(valid),
  });
}

function withAuthorizationHeader(parts: RequestParts): Record<string, string> {
  const h: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(parts.headers)) {
    // The builders take string maps; non-string values are put back by the mutator.
    if (typeof value === 'string') h[name] = value;
  }
  if (parts.authorization !== undefined) h.Authorization = parts.authorization;
  return h;
}

/** A REST REQUEST event shaped like the official sample, from hostile parts. */
export function restEventFrom(parts: RequestParts, baseMs: number): Record<string, unknown> {
  return restRequestEvent({
    method: parts.method,
    path: parts.path,
    resource: parts.resource,
    pathParameters: { id: parts.path.split('/')[2] ?? '' },
    query: parts.query,
    headers: withAuthorizationHeader(parts),
    sourceIp: parts.sourceIp,
    timeMs: baseMs + parts.offsetMs,
  });
}

/** An HTTP API payload 2.0 event from hostile parts (cookies included). */
export function httpEventFrom(parts: RequestParts, baseMs: number): Record<string, unknown> {
  const event = httpRequestEvent({
    method: parts.method || 'GET',
    path: parts.path,
    resource: parts.resource,
    headers: withAuthorizationHeader(parts),
    sourceIp: parts.sourceIp,
    timeMs: baseMs + parts.offsetMs,
  });
  // Set here, not through the builder: its encodeURIComponent refuses lone surrogates, which a client can send.
  if (Object.keys(parts.query).length > 0) {
    event.queryStringParameters = parts.query;
    event.rawQueryString = Object.entries(parts.query)
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
  }
  const cookie = parts.headers.Cookie;
  if (typeof cookie === 'string') event.cookies = cookie.split(';');
  return event;
}

/** A REST TOKEN event. */
export function tokenEventFrom(parts: RequestParts): Record<string, unknown> {
  return {
    type: 'TOKEN',
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/${parts.method}/items/1`,
    ...(parts.authorization === undefined ? {} : { authorizationToken: parts.authorization }),
  };
}

/** One mutation of an event: at the `index`-th path (mod the number of paths), apply `op`. */
export interface Mutation {
  readonly index: number;
  readonly op: 'delete' | 'json' | 'string' | 'null' | 'number' | 'array' | 'proto';
  readonly json: unknown;
  readonly text: string;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  index: fc.nat(),
  op: fc.constantFrom('delete', 'json', 'string', 'null', 'number', 'array', 'proto'),
  json: fc.jsonValue({ maxDepth: 2 }),
  text: hostileString,
});

/** Every path to a member of `value` (objects and arrays, depth-first, bounded). */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (out.length > 400 || prefix.length > 6) return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([...prefix, i]);
      paths(v, [...prefix, i], out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) {
      out.push([...prefix, key]);
      paths((value as Record<string, unknown>)[key], [...prefix, key], out);
    }
  }
  return out;
}

/**
 * Applies mutations to a deep copy of `event` and returns it as Lambda would deliver it (parsed JSON; a `__proto__`
 * member survives as an own property, as `JSON.parse` makes it).
 */
export function mutate(event: unknown, mutations: readonly Mutation[]): unknown {
  const copy = structuredClone(event) as Record<string, unknown>;
  for (const m of mutations) {
    const all = paths(copy);
    if (all.length === 0) break;
    const path = all[m.index % all.length]!;
    let parent: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path.at(-1)!;
    const replacement: unknown =
      m.op === 'json'
        ? m.json
        : m.op === 'string'
          ? m.text
          : m.op === 'null'
            ? null
            : m.op === 'number'
              ? m.text.length - 1e9
              : m.op === 'array'
                ? [m.text, m.json]
                : { __proto__: null, ['__proto__' as string]: m.json, toString: m.text };
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else {
      Object.defineProperty(parent, last, {
        value: replacement,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return JSON.parse(JSON.stringify(copy));
}

/** Events of the wrong kind for any handler: scalars, arrays, other services' events. */
export const wrongEvent: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, 0, '', 'Unauthorized', [], {}, true),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant({
    awslogs: { data: 'H4sIAAAAAAAAA6tWyk0tLk5MT1WyUlAqSS0uUdJRSs7PS8lMzStRsqpWyk0tSUzPzUstLgYAVUO0mycAAAA=' },
  }),
  fc.constant({ Records: [{ eventSource: 'aws:sqs', body: '{}' }] }),
  fc.constant({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }),
  fc.constant({ version: '2.0', routeKey: '$default', rawPath: '/', requestContext: {} }),
  fc.constant({ type: 'TOKEN' }),
  fc.constant({ type: 'REQUEST', methodArn: 42 }),
);
