import { effort } from './decode';

/**
 * Server-side code injection: Log4Shell lookups (resolved, so every obfuscation reads as what Log4j would see),
 * Java expression and class-name payloads, PHP code and wrappers, Node.js / prototype pollution, template
 * expressions (`{{7*7}}`, `${T(java.lang.Runtime)}`, `<%= %>`), cloud metadata addresses (SSRF). Each needs the
 * syntax of the language it attacks: `{{ user.name }}` is a placeholder, `{{7*7}}` and `{{''.__class__}}` are not.
 */

const MAX_LOOKUP_DEPTH = 8;
const MAX_LOOKUPS = 64;
const LOOKUP_PREFIX =
  /^(?:jndi|env|sys|java|ctx|main|marker|bundle|log4j|docker|k8s|kubernetes|spring|jvmrunargs|web|sd|map|date|event|base64)$/i;

/**
 * Resolves Log4j lookups innermost first, as Log4j does: `${lower:J}` is `j`, `${x:-j}` and `${::-j}` are the
 * default `j`, `${date:'j'}` is `j`, `${base64:…}` decodes. Returns whether a `jndi:` lookup (or a data-leaking
 * lookup such as `${env:…}`) appears once resolved. Work is bounded by the lookups count and nesting depth.
 */
export function hasLog4jLookup(text: string): boolean {
  if (!text.includes('${')) return false;
  const budget = { lookups: 0, found: false };
  resolve(text, 0, 0, budget);
  return budget.found;
}

function resolve(
  s: string,
  from: number,
  depth: number,
  b: { lookups: number; found: boolean },
): [string, number] {
  let out = '';
  let i = from;
  while (i < s.length && !b.found && b.lookups < MAX_LOOKUPS) {
    effort.units += 1;
    if (s[i] === '$' && s[i + 1] === '{' && depth < MAX_LOOKUP_DEPTH) {
      b.lookups += 1;
      const [inner, end] = resolve(s, i + 2, depth + 1, b);
      out += lookup(inner, b);
      i = end;
    } else if (s[i] === '}' && depth > 0) {
      return [out, i + 1];
    } else {
      out += s[i];
      i += 1;
    }
  }
  return [out, s.length];
}

function lookup(content: string, b: { found: boolean }): string {
  const c = content.trim();
  if (/^jndi\s*:/i.test(c)) b.found = true;
  const colon = c.indexOf(':');
  const prefix = colon >= 0 ? c.slice(0, colon) : '';
  const def = c.indexOf(':-');
  if (/^(?:lower|upper)$/i.test(prefix)) return c.slice(colon + 1);
  if (def >= 0) return c.slice(def + 2);
  if (/^date$/i.test(prefix)) return c.slice(colon + 1).replace(/'/g, '');
  if (/^base64$/i.test(prefix)) {
    try {
      return Buffer.from(c.slice(colon + 1), 'base64').toString('latin1');
    } catch {
      return '';
    }
  }
  if (
    prefix &&
    LOOKUP_PREFIX.test(prefix) &&
    /^(?:env|sys|java|ctx|docker|k8s|spring|jvmrunargs|main)$/i.test(prefix)
  )
    b.found = b.found || /^[a-z0-9_.-]{2,64}$/i.test(c.slice(colon + 1));
  return `\${${c}}`;
}

/** Java: dangerous classes and reflection, OGNL/Struts, Spring4Shell, Java serialization. */
const JAVA =
  /\bjava\.lang\.(?:runtime|processbuilder)\s*[.@)(]|\bjavax\.(?:script\.scriptenginemanager|naming\.initialcontext)|\bjava\.beans\.xmldecoder|\bjava\.net\.urlclassloader|\borg\.apache\.commons\.collections\d*\.functors|\bcom\.sun\.org\.apache\.xalan|\bbsh\.interpreter|\bgroovy\.lang|\bsun\.misc\.unsafe|\.getruntime\s*\(\s*\)\s*\.\s*exec|\bnew\s+(?:java\.lang\.)?processbuilder\s*\(|@java\.lang\.|\b(?:class\.module\.classloader|class\.classloader)\b|#_memberaccess|#context\s*\[|ognl\.ognlcontext|\.forname\s*\(\s*["']java\.|\bT\s*\(\s*java\.|\brO0AB[A-Za-z0-9+/]{4}|\baced0005/i;

/** PHP: open tags, superglobals, I/O wrappers, serialized objects, ini directives, code-execution calls. */
const PHP_SYNTAX =
  /<\?(?:\s*php\b|=|\s|$)|\[\/?php\]|\$_(?:get|post|request|cookie|server|files|env|session)\b|\$globals\s*\[|\b(?:php|phar|expect|zip|glob|compress\.zlib|compress\.bzip2|zlib|data|ogg|rar|ssh2(?:\.\w+)?):\/\/|\bO:\d{1,4}:"[a-z_\\][\w\\]{0,80}":\d{1,4}:\{|\ba:\d{1,4}:\{[is]:\d|\b(?:allow_url_include|auto_prepend_file|auto_append_file|disable_functions|open_basedir|safe_mode)\s*=/i;
const PHP_CALL =
  /\b(?:system|passthru|shell_exec|exec|popen|proc_open|pcntl_exec|eval|assert|gzinflate|file_get_contents|file_put_contents|include|include_once|require_once|call_user_func(?:_array)?|create_function|unserialize|highlight_file|show_source|posix_getpwuid)\s*\(\s*(?:["'`$]|\w+\s*\()|\b(?:phpinfo|gzinflate|str_rot13|base64_decode|shell_exec|passthru|proc_open|pcntl_exec)\s*\(|\(\s*["']?(?:system|exec|passthru|shell_exec|assert)["']?\s*\)\s*\(/i;

/** Whitespace and comments PHP allows between a callee and its `(` (a block comment, or `#` / `//` to the line end). */
const PHP_GAP = String.raw`(?:\s|\/\*[^*]{0,80}\*\/|(?:#|\/\/)[^\n]{0,80}\n)*`;
/**
 * PHP calls that only code makes: a variable called as a function (`$f(1)`, `$__[_](2)`, `${'a'}(3)`, `$$z(4)`), a
 * string or array element called (`"system"(ls)`, `"\x73ystem"(ls)`, `[system][0](ls)`), a code-execution function
 * with a comment before its `(`, Smarty `{php}` tags.
 */
const PHP_DYNAMIC = new RegExp(
  // Called at once (`$f(`), or across a gap only when the callee is plainly code: indexed, braced, `->`, a name with
  // `_` or digits, or a comment in the gap ("price $x (est.)" is prose).
  String.raw`(?:^|[^\w$])\$+(?:[a-z_]\w{0,40}|\{[^{}]{1,60}\})(?:\s*(?:\[[^\]]{0,40}\]|\{[^{}]{0,40}\}|->\w{1,40}))*\(` +
    String.raw`|(?:^|[^\w$])\$+(?:[a-z_]\w{0,40}|\{[^{}]{1,60}\})(?:\s*(?:\[[^\]]{0,40}\]|\{[^{}]{0,40}\}|->\w{1,40}))+${PHP_GAP}\(` +
    String.raw`|(?:^|[^\w$])\$+(?=[a-z_])\w{0,40}[_\d]\w{0,40}${PHP_GAP}\(` +
    String.raw`|(?:^|[^\w$])\$+[a-z_]\w{0,40}\s*(?:\/\*[^*]{0,80}\*\/|(?:#|\/\/)[^\n]{0,80}\n)${PHP_GAP}\(` +
    String.raw`|["'](?:[a-z_]|\\x[0-9a-f]{2})(?:\w|\\x[0-9a-f]{2}){1,40}["']\)?\(\s*['"\w$]` +
    String.raw`|\[\s*['"]?[a-z_]\w{1,40}['"]?\s*\]\s*\[\s*\d+\s*\]\s*\(` +
    String.raw`|\b(?:system|passthru|shell_exec|exec|popen|proc_open|eval|assert|assert_options|file_exists|fopen|fsockopen|pfsockopen|gzinflate|gzuncompress|gzdecode|bzdecompress|call_user_func|create_function|unserialize|filegroup|base64_decode|str_rot13)(?:\s*(?:\/\*[^*]{0,80}\*\/|(?:#|\/\/)[^\n]{0,80}\n)\s*)+\(` +
    String.raw`|\{\/?php\}`,
  'i',
);

/** Node.js code and prototype pollution. */
const NODE =
  /\b__proto__\b|\bconstructor\s*(?:\[\s*["']?prototype|\.\s*prototype\s*[.[])|require\s*\(\s*["'`](?:child_process|fs|net|vm|os)["'`]\s*\)|process\s*\.\s*(?:mainmodule|binding)\b|_\$\$nd_func\$\$_|\bthis\s*\.\s*constructor\s*\.\s*constructor\s*\(|\bnew\s+function\s*\(\s*["'`]|\bfunction\s*\(\s*\)\s*\{\s*(?:return\s+)?(?:process|require|global|this)\b|\bmodule\.exports\s*=|\bglobal\s*\.\s*process\b/i;

/** A template expression and whether its inside is code rather than a placeholder. */
const TEMPLATE =
  /\{\{\s*([^{}]{1,200}?)\s*\}\}|\$\{\s*([^{}]{1,200}?)\s*\}|#\{\s*([^{}]{1,200}?)\s*\}|\*\{\s*([^{}]{1,200}?)\s*\}|<%=?\s*([^%]{1,200}?)\s*%>|\{%\s*([^%]{1,200}?)\s*%\}|@\(\s*([^()]{1,200}?)\s*\)/g;
const CODE_INSIDE =
  /\d\s*[*+/-]\s*['"]?\d|__\w+__|\.\s*\w+\s*\(|\[\s*["'][^"']*["']\s*\]|\|\s*(?:attr|join|safe|e|format|map|selectattr|first|list|string|lower|upper)\b|\b(?:config|request|self|settings|lipsum|cycler|joiner|namespace|url_for|get_flashed_messages|range|process|require|import|include|constructor|getclass|runtime|exec|system|os|popen|subprocess|class|mro|subclasses|globals|builtins|T)\b\s*[.([]|^\s*(?:import|include|set|for|if|load|extends|debug|php)\b|\bnew\s+[a-z.]+\s*\(/i;
const MAX_TEMPLATES = 16;

function templateCode(s: string): boolean {
  if (!/[{%(]/.test(s)) return false;
  TEMPLATE.lastIndex = 0;
  for (let n = 0; n < MAX_TEMPLATES; n += 1) {
    const m = TEMPLATE.exec(s);
    if (!m) return false;
    const inside = m.slice(1).find((g) => g !== undefined) ?? '';
    effort.units += inside.length;
    if (CODE_INSIDE.test(inside)) return true;
  }
  return false;
}

/** Cloud instance-metadata endpoints: a value naming one asks the server to fetch its own credentials. */
const METADATA =
  /\b169\.254\.169\.254\b|\bmetadata\.google\.internal\b|\bfd00:ec2::254\b|\b100\.100\.100\.200\b|\b0xa9fea9fe\b|\b2852039166\b|\binstance-data\b\/latest/i;

export type CodeKind = 'jndi' | 'java' | 'php' | 'prototype' | 'template' | 'ssrf';

/** The server-side code injections `text` (already decoded) carries. */
export function codeInjections(text: string): CodeKind[] {
  const found: CodeKind[] = [];
  if (hasLog4jLookup(text)) found.push('jndi');
  if (JAVA.test(text)) found.push('java');
  if (PHP_SYNTAX.test(text) || PHP_CALL.test(text) || PHP_DYNAMIC.test(text)) found.push('php');
  if (NODE.test(text)) found.push('prototype');
  if (templateCode(text)) found.push('template');
  if (METADATA.test(text)) found.push('ssrf');
  return found;
}
