import { describe, expect, it } from 'vitest';
import {
  decodeBase64urlStrict,
  decodeJsonSegment,
  parseStrictJson,
  StrictDecodeError,
} from '../../../lambdas/identity/strict-json';

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses (same values)', () => {
    // Prepare
    const text = '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"],"b":{"c":{}},"d":[]}';

    // Act
    const value = parseStrictJson(text);

    // Assess
    expect(JSON.parse(JSON.stringify(value))).toEqual(JSON.parse(text));
  });

  it.each([
    ['top-level duplicate', '{"sub":"a","sub":"b"}'],
    ['nested duplicate', '{"x":{"r":1,"r":2}}'],
    ['duplicate spelled with an escape', '{"sub":"a","\\u0073ub":"b"}'],
  ])('rejects a %s', (_label, text) => {
    // Act & Assess
    expect(() => parseStrictJson(text)).toThrow(StrictDecodeError);
  });

  it.each([
    '{"a":1,}',
    '{a:1}',
    "{'a':1}",
    '{"a":01}',
    '{"a":1} x',
    '{"a":"\u0001"}',
    '[1,]',
    '',
    'NaN',
    '{"a":1e}',
  ])('rejects invalid JSON %j', (text) => {
    // Act & Assess
    expect(() => parseStrictJson(text)).toThrow(StrictDecodeError);
  });

  it('builds null-prototype objects: __proto__ is an ordinary key and nothing is polluted', () => {
    // Act
    const value = parseStrictJson('{"__proto__":{"polluted":true},"constructor":1}') as Record<
      string,
      unknown
    >;

    // Assess
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('bounds nesting depth', () => {
    // Act & Assess
    expect(() => parseStrictJson(`${'['.repeat(100)}${']'.repeat(100)}`)).toThrow(/too deep/);
  });
});

describe('decodeBase64urlStrict', () => {
  it('decodes canonical base64url', () => {
    // Act & Assess
    expect(decodeBase64urlStrict('aGk').toString()).toBe('hi');
  });

  it.each([
    ['padding', 'aGk='],
    ['standard-alphabet +', 'a+k'],
    ['standard-alphabet /', 'a/k'],
    ['whitespace', 'aG k'],
    ['impossible length', 'aGkab'],
    ['non-zero trailing bits', 'aGl'],
  ])('rejects %s', (_label, segment) => {
    // Act & Assess
    expect(() => decodeBase64urlStrict(segment)).toThrow(StrictDecodeError);
  });

  it('rejects invalid UTF-8 in a JSON segment', () => {
    // Prepare
    const segment = Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url');

    // Act & Assess
    expect(() => decodeJsonSegment(segment)).toThrow(/UTF-8/);
  });
});
