import { effort } from './decode';

/**
 * Cross-site scripting by reading markup: each `<` that opens a tag is parsed (name, then attributes up to `>`),
 * and the tag is judged on what a browser would execute — a script-capable element, any `on…` handler attribute,
 * a `javascript:`/`vbscript:`/`data:text/html` URL attribute. Outside tags: an attribute break (`" onfocus=`),
 * a script-URL value, a string break into a JavaScript sink (`';alert(1)//`). `<b>`, `<3` and `javascript:;`
 * beacons are not scripts.
 */

const SCRIPT_TAGS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'base',
  'meta',
  'svg',
  'math',
  'style',
  'link',
  'isindex',
  'xss',
  'import',
  'template',
  'portal',
  'handler',
  'listener',
]);
const MAX_TAGS = 32;
const MAX_TAG_LENGTH = 600;

const HANDLER = /(?:^|[\s"'`/;])on[a-z]{3,24}[\s/]*=/i;
const URL_ATTRIBUTE =
  /(?:^|[\s"'`/])(?:href|src|action|formaction|data|xlink:href|background|dynsrc|lowsrc|poster|code|codebase|to|from|values|by|folder|ping|content)\s*=\s*["'`]?\s*(?:&#?\w+;?\s*)*(?:j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t|l\s*i\s*v\s*e\s*s\s*c\s*r\s*i\s*p\s*t|data\s*:\s*(?:text\/html|image\/svg|application\/x?-?(?:java|ecma)script|text\/(?:java|ecma)script))/i;
const STYLE_SCRIPT = /(?:expression\s*\(|url\s*\(\s*["']?\s*javascript:|-moz-binding|behavior\s*:)/i;
const SRCDOC = /(?:^|[\s"'`/])srcdoc\s*=/i;

/** Judges one tag from `<` at `i`; returns whether it executes script. */
function tagAt(s: string, i: number): boolean {
  let j = i + 1;
  if (s[j] === '/') j += 1;
  const start = j;
  while (j < s.length && /[A-Za-z0-9:_-]/.test(s[j]!)) j += 1;
  if (j === start || !/[A-Za-z]/.test(s[start]!)) return false;
  const name = s.slice(start, j).toLowerCase();
  const boundary = s[j];
  if (boundary !== undefined && !/[\s/>"'`]/.test(boundary)) return false;
  if (SCRIPT_TAGS.has(name.replace(/^[a-z]+:/, ''))) return true;
  const close = s.indexOf('>', j);
  const attrs = s.slice(
    j,
    close < 0 ? Math.min(s.length, j + MAX_TAG_LENGTH) : Math.min(close, j + MAX_TAG_LENGTH),
  );
  effort.units += attrs.length;
  if (attrs.length === 0) return false;
  return HANDLER.test(attrs) || URL_ATTRIBUTE.test(attrs) || SRCDOC.test(attrs) || STYLE_SCRIPT.test(attrs);
}

function anyTag(s: string): boolean {
  let seen = 0;
  for (let i = s.indexOf('<'); i >= 0 && seen < MAX_TAGS; i = s.indexOf('<', i + 1)) {
    effort.units += 1;
    seen += 1;
    if (tagAt(s, i)) return true;
  }
  return false;
}

const LOOSE_HANDLER = /[\s/]on[a-z]{3,24}\s*=\s*[^\s)]/gi;
const BETWEEN_ATTRIBUTES = /^[\s/][\s/a-z0-9=:.#%-]*$/i;
const MAX_HANDLERS = 16;

/**
 * An attribute break: a quote closing the application's attribute, then only attribute syntax (other attributes)
 * up to an `on…=` handler. `shutil.rmtree('/tmp', onerror=None)` has a comma between: no attribute.
 */
function attributeBreak(s: string): boolean {
  LOOSE_HANDLER.lastIndex = 0;
  for (let n = 0; n < MAX_HANDLERS; n += 1) {
    const m = LOOSE_HANDLER.exec(s);
    if (!m) return false;
    const window = s.slice(Math.max(0, m.index - 80), m.index + 1);
    effort.units += window.length;
    const q = Math.max(window.lastIndexOf('"'), window.lastIndexOf("'"), window.lastIndexOf('`'));
    if (q >= 0 && BETWEEN_ATTRIBUTES.test(window.slice(q + 1))) return true;
  }
  return false;
}
/** A script URL with a body that does something (`javascript:;` and `javascript:void(0)` do nothing). */
const SCRIPT_URL =
  /(?:^|[\s"'`=(/])(?:j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|vbscript|livescript)\s*:([^\n]{0,60})/i;
const INERT_BODY = /^(?:\s|void\s*\(?\s*0\s*\)?|undefined|;|\/\/|%20)*$/i;
const DATA_URL =
  /\bdata\s*:\s*(?:text\/html|image\/svg\+xml|application\/(?:x-)?(?:javascript|ecmascript|xhtml\+xml)|text\/(?:javascript|ecmascript|xml))\s*[;,]/i;
/** A string (or expression) break into a JavaScript sink: `';alert(1)//`, `"-prompt(1)-"`, `\";confirm(1);//`. */
const SINK_BREAK =
  /["'`][\s)\]}]{0,4}[;+\-*/|&,^]\s*(?:alert|prompt|confirm|eval|settimeout|setinterval|fetch|document\s*\.\s*(?:cookie|domain|write|location)|window\s*\.\s*location|location\s*\.\s*(?:href|hash)|top\s*\[|self\s*\[|globalthis\s*\[|constructor\s*\.\s*constructor)\s*[(`=[.]/i;
/** A value that is itself a script probe: `alert(1)`, `prompt\`1\``. */
const BARE_SINK = /^\s*(?:alert|prompt|confirm)\s*(?:\(\s*[^\s)]|`)/i;

/** Whether `text` (already decoded) carries script a browser would run. */
export function looksLikeXss(text: string): boolean {
  if (text.includes('<') && anyTag(text)) return true;
  if (/[:]/.test(text)) {
    const url = SCRIPT_URL.exec(text);
    if (url && !INERT_BODY.test(url[1]!)) return true;
    if (DATA_URL.test(text)) return true;
  }
  if (/["'`]/.test(text) && (attributeBreak(text) || SINK_BREAK.test(text))) return true;
  return BARE_SINK.test(text);
}
