/**
 * The decoding layers the malicious-input detector applies before judging a value. Each layer is explicit, runs in
 * one linear pass and is applied a bounded number of rounds: an attacker can nest encodings (`%2527` is `'` twice
 * percent-encoded) but cannot make the detector loop or allocate beyond a small multiple of the capped input.
 */

/** Longest part of a value the detector reads; the rest is ignored (bounds every scan below). */
export const MAX_INSPECTED_LENGTH = 4096;
/** Rounds of the full layer stack: triple encoding is the deepest seen in public payload lists. */
export const MAX_DECODE_ROUNDS = 3;

const HEX = /^[0-9a-fA-F]$/;

function hexAt(s: string, i: number, n: number): number {
  if (i + n > s.length) return -1;
  for (let k = i; k < i + n; k += 1) if (!HEX.test(s[k]!)) return -1;
  return Number.parseInt(s.slice(i, i + n), 16);
}

/**
 * Decodes UTF-8 bytes leniently: overlong forms (`C0 AE` for `.`, `E0 80 AF` for `/`, an old IIS and Tomcat
 * traversal evasion) decode to the character they spell, invalid bytes to their Latin-1 character.
 */
function utf8Lenient(bytes: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b >= 0xf0 && b < 0xf8 ? 3 : b >= 0xe0 ? (b < 0xf0 ? 2 : 0) : b >= 0xc0 ? 1 : 0;
    let cp = need === 3 ? b & 0x07 : need === 2 ? b & 0x0f : b & 0x1f;
    let ok = need > 0;
    for (let k = 1; ok && k <= need; k += 1) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (ok && cp <= 0x10ffff) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      out += String.fromCharCode(b);
      i += 1;
    }
  }
  return out;
}

/** `%XX` (with overlong UTF-8) and IIS `%uXXXX`; a `%` not followed by hex stays as it is. */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) out += utf8Lenient(bytes);
    bytes = [];
  };
  for (let i = 0; i < s.length; i += 1) {
    const ch = s[i]!;
    if (ch === '%') {
      const b = hexAt(s, i + 1, 2);
      if (b >= 0) {
        bytes.push(b);
        i += 2;
        continue;
      }
      if ((s[i + 1] === 'u' || s[i + 1] === 'U') && hexAt(s, i + 2, 4) >= 0) {
        flush();
        out += String.fromCharCode(hexAt(s, i + 2, 4));
        i += 5;
        continue;
      }
    }
    flush();
    out += ch;
  }
  flush();
  return out;
}

/** The named entities an injection needs; others (`&lang`, `&ping`) are left alone, as a browser would. */
const NAMED: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  amp: '&',
  colon: ':',
  lpar: '(',
  rpar: ')',
  sol: '/',
  bsol: '\\',
  tab: '\t',
  newline: '\n',
  dollar: '$',
  lbrace: '{',
  rbrace: '}',
  lcub: '{',
  rcub: '}',
  semi: ';',
  excl: '!',
  equals: '=',
  grave: '`',
  lsqb: '[',
  rsqb: ']',
  nbsp: ' ',
};
/** Without `;` only the four classic names decode: `&num=5` in a nested URL is a parameter, not `#`. */
const BARE = new Set(['lt', 'gt', 'quot', 'amp']);
const ENTITY = /&(?:#[xX]0*([0-9a-fA-F]{1,6})|#0*([0-9]{1,7})|([a-zA-Z]{2,8}))(;?)/g;

/** Numeric (`&#60`, `&#x3c;`, leading zeros, optional `;`) and the named entities above. */
export function htmlEntityDecode(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY, (whole, hex: string, dec: string, name: string, semi: string) => {
    if (name !== undefined) {
      const lower = name.toLowerCase();
      const v = NAMED[lower];
      return v !== undefined && (semi === ';' || BARE.has(lower)) ? v : whole;
    }
    const cp = hex !== undefined ? Number.parseInt(hex, 16) : Number.parseInt(dec, 10);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
  });
}

const ESCAPE = /\\(?:x([0-9a-fA-F]{2})|u\{0*([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|([nrt]))/g;
const CONTROL_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t' };

/** JavaScript / JSON string escapes `\xNN`, `\uNNNN`, `\u{N}`, `\n` `\r` `\t`. */
export function escapeDecode(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(ESCAPE, (whole, x: string, braced: string, u: string, ctl: string) => {
    if (ctl !== undefined) return CONTROL_ESCAPES[ctl]!;
    const cp = Number.parseInt(x ?? braced ?? u, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
  });
}

const CONTROL = /[\0-\x08\x0b\x0c\x0e-\x1f]/g;
const HAS_CONTROL = /[\0-\x08\x0b\x0c\x0e-\x1f]/;

/**
 * Every layer, `rounds` times or until nothing changes: percent (so double and triple percent), `+` as space on
 * the first round, HTML entities, `\u`/`\x` escapes; NUL and other control characters (`<scr\0ipt>`) removed.
 */
export function decodeAll(text: string, rounds = MAX_DECODE_ROUNDS): string {
  let out = text.length > MAX_INSPECTED_LENGTH ? text.slice(0, MAX_INSPECTED_LENGTH) : text;
  for (let r = 0; r < rounds; r += 1) {
    let next = percentDecode(out);
    if (r === 0 && next.includes('+')) next = next.replace(/\+/g, ' ');
    next = escapeDecode(htmlEntityDecode(next));
    if (next === out) break;
    out = next.length > MAX_INSPECTED_LENGTH ? next.slice(0, MAX_INSPECTED_LENGTH) : next;
  }
  return HAS_CONTROL.test(out) ? out.replace(CONTROL, '') : out;
}

/** Whether decoding can change the text at all (no `%`, `+`, `&`, `\` or control character: it cannot). */
export function mayDecode(text: string): boolean {
  return /[%+&\\\0-\x08\x0b\x0c\x0e-\x1f]/.test(text);
}

/**
 * Work done by the detector's own loops (characters and tokens visited), for the fuzz test that proves the work is
 * bounded by the input's length; never read on the request path.
 */
export const effort = { units: 0 };
