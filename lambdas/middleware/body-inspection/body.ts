import { MAX_INSPECTED_LENGTH } from '../../engine/detectors/decode';
import type { InputPart } from '../../engine/detectors/malicious-input';

/**
 * Request bodies of API Gateway proxy events (REST API and HTTP API payload 2.0) turned into the parts the
 * malicious-input detector judges. Pure and bounded: the body is read up to `maxBytes`, JSON is walked to
 * `maxDepth` levels and `maxFields` keys and values, long strings are cut into detector-sized pieces, and nothing
 * here throws on any input.
 */

/** Bounds of one body's inspection. */
export interface BodyLimits {
  /** Bytes of the (decoded) body read; past it only the first `maxBytes` are judged, as text. */
  readonly maxBytes: number;
  /** JSON nesting levels walked; deeper members are not judged. */
  readonly maxDepth: number;
  /** JSON keys and array elements, or form fields, read per body (each key or element is one). */
  readonly maxFields: number;
}

/** One value to judge, with where it sits in the body. */
export interface BodyPart {
  /** Field path for logs: `$.user.name`, `$.items[2]`, `comment` (form), `$` (text); never attacker text. */
  readonly field: string;
  readonly part: InputPart;
}

/** How a body was read. */
export type BodyFormat = 'none' | 'json' | 'form' | 'text' | 'skipped';

/** What a body yields: the parts to judge and whether the bounds cut it short. */
export interface ParsedBody {
  readonly format: BodyFormat;
  readonly parts: readonly BodyPart[];
  /** The body was over `maxBytes`: only its start was judged, as text. */
  readonly oversize: boolean;
  /** JSON that did not parse: judged as text. */
  readonly malformed: boolean;
  /** The walk stopped at `maxDepth` or `maxFields`. */
  readonly truncated: boolean;
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/** Content types read as JSON: `application/json` and any `+json` suffix (RFC 6839). */
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
/** Free text a backend may read as input; binary and multipart bodies are not judged. */
const TEXT_TYPE = /^(?:text\/[\w.+-]+|application\/(?:xml|[\w.+-]+\+xml|graphql|javascript))$/;
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Piece length and overlap: the detector reads MAX_INSPECTED_LENGTH characters, and a payload may straddle a cut. */
const PIECE = MAX_INSPECTED_LENGTH;
const OVERLAP = 256;

/** The media type of a `content-type` header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The event's body as text (base64 decoded when flagged), cut at `maxBytes`. */
export function bodyText(event: unknown, maxBytes: number): { text: string; oversize: boolean } | undefined {
  const root = record(event);
  const body = root?.body;
  if (typeof body !== 'string' || body.length === 0) return undefined;
  if (root?.isBase64Encoded === true) {
    // Decode no more than is read: 4 base64 characters carry 3 bytes.
    const keep = Math.ceil((maxBytes + 3) / 3) * 4;
    const bytes = Buffer.from(body.length > keep ? body.slice(0, keep) : body, 'base64');
    const oversize = bytes.length > maxBytes || body.length > keep;
    return { text: bytes.subarray(0, maxBytes).toString('utf8'), oversize };
  }
  // Strings from API Gateway are UTF-8 on the wire; length in bytes decides, as for the decoded form.
  if (body.length <= maxBytes / 3 || Buffer.byteLength(body, 'utf8') <= maxBytes) {
    return { text: body, oversize: false };
  }
  return { text: Buffer.from(body, 'utf8').subarray(0, maxBytes).toString('utf8'), oversize: true };
}

/** Cuts a long value into overlapping detector-sized pieces (bounded by the body's own bound). */
function pieces(value: string): string[] {
  if (value.length <= PIECE) return [value];
  const out: string[] = [];
  for (let start = 0; start < value.length; start += PIECE - OVERLAP) {
    out.push(value.slice(start, start + PIECE));
    if (start + PIECE >= value.length) break;
  }
  return out;
}

const SAFE_SEGMENT = /^[A-Za-z_$][\w$-]{0,63}$/;

/** A path segment for logs: a plain identifier as it is, anything else (it may be the payload) as `*`. */
const segment = (key: string): string => (SAFE_SEGMENT.test(key) ? `.${key}` : '.*');

class PartCollector {
  readonly parts: BodyPart[] = [];
  fields = 0;
  truncated = false;

  constructor(private readonly limits: BodyLimits) {}

  /** Room for one more field; past the bound the walk stops and says so. */
  room(): boolean {
    if (this.fields >= this.limits.maxFields) {
      this.truncated = true;
      return false;
    }
    this.fields += 1;
    return true;
  }

  value(field: string, name: string, value: string): void {
    for (const piece of pieces(value))
      this.parts.push({ field, part: { kind: 'query-value', name, value: piece } });
  }

  name(field: string, value: string): void {
    for (const piece of pieces(value))
      this.parts.push({ field, part: { kind: 'query-name', name: '', value: piece } });
  }
}

/**
 * Walks parsed JSON breadth-first (no recursion, so no stack to exhaust): string values are judged as parameter
 * values named by their key; keys as parameter names, and with their parent key as the bracket name a form parser
 * would build (`constructor[prototype]`: prototype pollution is a property of the path, not of one key).
 */
function walkJson(root: unknown, c: PartCollector, maxDepth: number): void {
  const queue: { value: unknown; field: string; key: string; depth: number }[] = [
    { value: root, field: '$', key: '', depth: 0 },
  ];
  for (let head = 0; head < queue.length; head += 1) {
    const { value, field, key, depth } = queue[head]!;
    if (typeof value === 'string') {
      // Counted as a field when its key or element was.
      c.value(field, key, value);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxDepth) {
      c.truncated = true;
      continue;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i += 1) {
        if (!c.room()) return;
        queue.push({ value: value[i], field: `${field}[${i}]`, key, depth: depth + 1 });
      }
      continue;
    }
    // JSON.parse makes `__proto__` an own key like any other: Object.keys lists it.
    for (const name of Object.keys(value)) {
      if (!c.room()) return;
      const child = `${field}${segment(name)}`;
      c.name(child, name);
      if (key !== '') c.name(child, `${key}[${name}]`);
      queue.push({ value: (value as Json)[name], field: child, key: name, depth: depth + 1 });
    }
  }
}

function readForm(text: string, c: PartCollector): void {
  // URLSearchParams undoes `+` and percent-encoding once, as a form parser does; the detector decodes further.
  for (const [name, value] of new URLSearchParams(text)) {
    if (!c.room()) return;
    const field = SAFE_SEGMENT.test(name) ? name : '*';
    c.name(field, name);
    c.value(field, name, value);
  }
}

function readText(text: string, c: PartCollector): void {
  c.value('$', '', text);
}

/** Reads JSON, or says it could not. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * The parts of a proxy event's body to judge. JSON (`application/json`, `+json`, or no content type and a body
 * that parses), form (`application/x-www-form-urlencoded`) and text types are read; other types (binary uploads,
 * multipart) are skipped. JSON that does not parse, and a body over `maxBytes`, are judged as text.
 */
export function parseBody(event: unknown, contentType: string | undefined, limits: BodyLimits): ParsedBody {
  const read = bodyText(event, limits.maxBytes);
  const none = { parts: [], oversize: false, malformed: false, truncated: false };
  if (!read) return { format: 'none', ...none };
  const c = new PartCollector(limits);
  const type = mediaType(contentType);
  const done = (format: BodyFormat, malformed = false): ParsedBody => ({
    format,
    parts: c.parts,
    oversize: read.oversize,
    malformed,
    truncated: c.truncated,
  });
  if (read.oversize) {
    readText(read.text, c);
    return done('text');
  }
  if (type === FORM_TYPE) {
    readForm(read.text, c);
    return done('form');
  }
  const sniffJson = type === '' && /^\s*[[{"]/.test(read.text);
  if (JSON_TYPE.test(type) || sniffJson) {
    const parsed = parseJson(read.text);
    if (parsed.ok) {
      walkJson(parsed.value, c, limits.maxDepth);
      return done('json');
    }
    readText(read.text, c);
    return done('text', true);
  }
  if (type === '' || TEXT_TYPE.test(type)) {
    readText(read.text, c);
    return done('text');
  }
  return { format: 'skipped', ...none };
}
