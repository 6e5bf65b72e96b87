/**
 * Strict decoding for JWT segments. `JSON.parse` silently keeps the last of duplicate member names, so two
 * verifiers (or a verifier and a downstream service) can read different claims from the same token; and
 * `Buffer.from(x, 'base64url')` skips characters it does not understand. Both are refused here.
 */

/** Thrown for any input this module refuses; the message says why (no input is ever echoed). */
export class StrictDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StrictDecodeError';
  }
}

/** A JSON object with no prototype, so `__proto__`, `constructor` and friends are ordinary keys. */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value as {@link parseStrictJson} returns it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

const MAX_DEPTH = 32;
const STRING_TOKEN = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER_TOKEN = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/**
 * Parses JSON, rejecting duplicate member names at any depth and building null-prototype objects.
 * @throws {StrictDecodeError}
 */
export function parseStrictJson(text: string): JsonValue {
  let position = 0;

  const skipWhitespace = (): void => {
    WHITESPACE.lastIndex = position;
    WHITESPACE.exec(text);
    position = WHITESPACE.lastIndex;
  };

  const readString = (): string => {
    STRING_TOKEN.lastIndex = position;
    const match = STRING_TOKEN.exec(text);
    if (match === null) throw new StrictDecodeError(`invalid string at ${position}`);
    position = STRING_TOKEN.lastIndex;
    // The token is a complete, validated JSON string literal, so JSON.parse only decodes escapes here.
    return JSON.parse(match[0]) as string;
  };

  const readValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) throw new StrictDecodeError('nesting too deep');
    skipWhitespace();
    const char = text[position];
    if (char === '{') {
      position += 1;
      const object: JsonObject = Object.create(null);
      const seen = new Set<string>();
      skipWhitespace();
      if (text[position] === '}') {
        position += 1;
        return object;
      }
      for (;;) {
        skipWhitespace();
        const key = readString();
        if (seen.has(key)) throw new StrictDecodeError('duplicate member name');
        seen.add(key);
        skipWhitespace();
        if (text[position] !== ':') throw new StrictDecodeError(`expected ':' at ${position}`);
        position += 1;
        object[key] = readValue(depth + 1);
        skipWhitespace();
        if (text[position] === ',') {
          position += 1;
          continue;
        }
        if (text[position] === '}') {
          position += 1;
          return object;
        }
        throw new StrictDecodeError(`expected ',' or '}' at ${position}`);
      }
    }
    if (char === '[') {
      position += 1;
      const array: JsonValue[] = [];
      skipWhitespace();
      if (text[position] === ']') {
        position += 1;
        return array;
      }
      for (;;) {
        array.push(readValue(depth + 1));
        skipWhitespace();
        if (text[position] === ',') {
          position += 1;
          continue;
        }
        if (text[position] === ']') {
          position += 1;
          return array;
        }
        throw new StrictDecodeError(`expected ',' or ']' at ${position}`);
      }
    }
    if (char === '"') return readString();
    if (text.startsWith('true', position)) {
      position += 4;
      return true;
    }
    if (text.startsWith('false', position)) {
      position += 5;
      return false;
    }
    if (text.startsWith('null', position)) {
      position += 4;
      return null;
    }
    NUMBER_TOKEN.lastIndex = position;
    const number = NUMBER_TOKEN.exec(text);
    if (number === null) throw new StrictDecodeError(`unexpected character at ${position}`);
    position = NUMBER_TOKEN.lastIndex;
    return Number(number[0]);
  };

  const value = readValue(0);
  skipWhitespace();
  if (position !== text.length) throw new StrictDecodeError(`trailing data at ${position}`);
  return value;
}

/** True for a (null-prototype or plain) JSON object, not an array. */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an own member only: never a prototype's. */
export function ownMember(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Decodes canonical base64url: no padding, no characters outside the alphabet, no impossible length and no
 * non-zero trailing bits (re-encoding must give back the input, so one token has exactly one spelling).
 * @throws {StrictDecodeError}
 */
export function decodeBase64urlStrict(segment: string): Buffer {
  if (!BASE64URL.test(segment)) throw new StrictDecodeError('not base64url (padding or foreign characters)');
  if (segment.length % 4 === 1) throw new StrictDecodeError('impossible base64url length');
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.toString('base64url') !== segment) throw new StrictDecodeError('non-canonical base64url');
  return bytes;
}

/**
 * Decodes a base64url segment holding UTF-8 JSON, strictly.
 * @throws {StrictDecodeError}
 */
export function decodeJsonSegment(segment: string): JsonValue {
  const bytes = decodeBase64urlStrict(segment);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new StrictDecodeError('not UTF-8');
  }
  return parseStrictJson(text);
}
