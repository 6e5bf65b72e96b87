/**
 * Malicious-intent patterns in request input (path, query, chosen headers). Each pattern targets the syntax an
 * attack needs, not words that ordinary text uses: "select" or "union" alone never match, `' OR 1=1` and
 * `UNION SELECT` do; `<b>` never matches, `<script` and `onerror=` do.
 */
export type InjectionKind = 'sqli' | 'xss' | 'traversal' | 'jndi' | 'command';

const PATTERNS: readonly { kind: InjectionKind; re: RegExp }[] = [
  { kind: 'jndi', re: /\$\{\s*(?:jndi|\$\{[^}]*\}|lower:|upper:|env:|sys:|java:|::-j)/i },
  {
    kind: 'traversal',
    re: /(?:^|[/\\=])\.\.(?:[/\\]|$)|%2e%2e(?:%2f|%5c|\/|\\)|\.\.%2f|\.\.%5c|%c0%ae|\/etc\/(?:passwd|shadow|hosts)\b|\bwin\.ini\b|\\windows\\system32/i,
  },
  {
    kind: 'sqli',
    re: /(?:'|"|\b)\s*(?:or|and)\s+(?:'[^']*'|\d+)\s*(?:=|like|<|>)\s*(?:'[^']*'|\d+)|\bunion\b[\s(/*]+(?:all\s+)?select\b|\bselect\b[\s\S]{0,80}\bfrom\b[\s\S]{0,80}\b(?:information_schema|pg_catalog|sysobjects|sqlite_master|dual)\b|;\s*(?:drop|delete|insert|update|truncate|alter|exec)\s|\b(?:sleep|benchmark|pg_sleep|waitfor\s+delay)\s*\(|'\s*;?\s*--|'\s*#|\/\*!?\d*\s*(?:select|union|or|and)\b|\bexec(?:ute)?\s+xp_/i,
  },
  {
    kind: 'xss',
    re: /<\s*\/?\s*(?:script|iframe|object|embed|svg|math|base|meta)\b|\bjavascript\s*:|\bvbscript\s*:|\bon(?:error|load|click|mouseover|focus|blur|submit|toggle|animationstart)\s*=|<\s*img[^>]+src\s*=|\bsrcdoc\s*=|document\.(?:cookie|location|domain)|\balert\s*\(|\beval\s*\(/i,
  },
  {
    kind: 'command',
    re: /(?:[;&|`]|\$\()\s*(?:cat|ls|id|whoami|uname|wget|curl|nc|ncat|bash|sh|ping|nslookup|powershell|cmd(?:\.exe)?)\b|\|\|\s*\w+|\$\{IFS\}|\/bin\/(?:sh|bash)\b/i,
  },
];

/** Decodes percent-encoding (twice: double encoding is a classic evasion) and plus-as-space; never throws. */
export function decodeLoosely(text: string): string {
  let out = text.replace(/\+/g, ' ');
  for (let i = 0; i < 2; i += 1) {
    try {
      const next = decodeURIComponent(out);
      if (next === out) break;
      out = next;
    } catch {
      // Keep the raw form: an undecodable sequence can still match the encoded patterns.
      break;
    }
  }
  return out;
}

/** The distinct injection kinds found in the given values. Inputs are capped to bound regex work. */
export function findInjections(values: readonly string[]): InjectionKind[] {
  const found = new Set<InjectionKind>();
  for (const raw of values) {
    if (!raw) continue;
    for (const kind of injectionsIn(raw)) found.add(kind);
  }
  return [...found];
}

const NONE: readonly InjectionKind[] = [];
/** Verdicts on recent values: user agents, referers and paths repeat across a client's requests. */
const remembered = new Map<string, readonly InjectionKind[]>();
const MAX_REMEMBERED = 4096;
const MAX_REMEMBERED_LENGTH = 512;

function injectionsIn(raw: string): readonly InjectionKind[] {
  const hit = remembered.get(raw);
  if (hit !== undefined) return hit;
  const capped = raw.length > 4096 ? raw.slice(0, 4096) : raw;
  // Without `%` or `+` the decoded form is the text itself: one scan is enough.
  const candidates = /[%+]/.test(capped) ? [capped, decodeLoosely(capped)] : [capped];
  const kinds: InjectionKind[] = [];
  for (const { kind, re } of PATTERNS) {
    if (candidates.some((c) => re.test(c))) kinds.push(kind);
  }
  const verdict = kinds.length > 0 ? kinds : NONE;
  if (raw.length <= MAX_REMEMBERED_LENGTH) {
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(raw, verdict);
  }
  return verdict;
}
