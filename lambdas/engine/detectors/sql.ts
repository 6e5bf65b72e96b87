import { effort } from './decode';

/**
 * SQL injection by tokenization, in the manner of libinjection (Nick Galbreath, BSD-3; see test/fixtures/detector/
 * SOURCES.md): the value is read as SQL three times — as is, as if it began inside a '-quoted string and inside a
 * "-quoted one (the application's own quote opens the string the attacker closes) — and each token sequence is
 * judged by grammar: a closed string followed by a boolean tail, UNION SELECT, a stacked statement, a SELECT with a
 * FROM clause, a time-delay function in SQL position. Words alone never match: "select a plan from the list" is
 * names after SELECT, "Union Square" has no SELECT, `time.sleep(5)` is one dotted name.
 */

/** s string, 1 number/literal, n name, k keyword, U union, E select, & and/or, o operator, f function, v @variable,
 * c comment, and the punctuation itself. */
type Kind = 's' | '1' | 'n' | 'k' | 'U' | 'E' | '&' | 'o' | 'f' | 'v' | 'c' | '(' | ')' | ',' | ';' | 'x';
interface Token {
  readonly t: Kind;
  readonly v: string;
}

const MAX_TOKENS = 48;

const KEYWORDS = new Set([
  'from',
  'where',
  'group',
  'order',
  'by',
  'having',
  'limit',
  'offset',
  'into',
  'outfile',
  'dumpfile',
  'values',
  'insert',
  'update',
  'delete',
  'drop',
  'truncate',
  'alter',
  'create',
  'exec',
  'execute',
  'declare',
  'shutdown',
  'waitfor',
  'delay',
  'table',
  'database',
  'schema',
  'procedure',
  'set',
  'join',
  'case',
  'when',
  'then',
  'else',
  'end',
  'distinct',
  'all',
  'top',
  'begin',
  'exists',
  'asc',
  'desc',
  'not',
]);
const LOGIC = new Set(['and', 'or', 'xor', '&&', '||']);
const WORD_OPERATORS = new Set(['like', 'rlike', 'regexp', 'is', 'between', 'in', 'div', 'mod', 'sounds']);
const LITERAL_WORDS = new Set(['null', 'true', 'false']);
/** Functions whose call, in SQL position, is an injection's payload (time delay, file read, error-based leak). */
const ATTACK_FUNCTIONS = new Set([
  'sleep',
  'benchmark',
  'pg_sleep',
  'load_file',
  'extractvalue',
  'updatexml',
  'dbms_pipe.receive_message',
  'utl_inaddr.get_host_address',
  'utl_http.request',
  'dbms_lock.sleep',
  'sys_eval',
  'sys_exec',
  'xp_cmdshell',
  'master..xp_cmdshell',
  'ascii',
  'substring',
  'substr',
  'mid',
  'char',
  'chr',
  'concat',
  'concat_ws',
  'group_concat',
  'version',
  'database',
  'user',
  'current_user',
  'system_user',
  'schema',
  'if',
  'iif',
  'exists',
  'count',
  'length',
  'len',
  'hex',
  'unhex',
  'cast',
  'convert',
  'ord',
  'randomblob',
  'make_set',
  'elt',
  'row',
  'json_keys',
  'gtid_subset',
  'exp',
  'floor',
  'rand',
]);
const STATEMENTS = new Set([
  'drop',
  'delete',
  'insert',
  'update',
  'truncate',
  'alter',
  'create',
  'exec',
  'execute',
  'declare',
  'shutdown',
  'waitfor',
  'select',
  'begin',
  'set',
]);

const isSpace = (c: string) =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
const isWordStart = (c: string) => /[A-Za-z_$\u0080-\uffff]/.test(c);
const isWord = (c: string) => /[A-Za-z0-9_$.\u0080-\uffff]/.test(c);

/** Reads a quoted string from `i` (the opening quote); returns the index after it, -1 when it never closes. */
function readString(s: string, i: number, q: string): number {
  let j = i + 1;
  while (j < s.length) {
    effort.units += 1;
    const c = s[j]!;
    if (c === '\\') j += 2;
    else if (c === q) {
      if (s[j + 1] === q) j += 2;
      else return j + 1;
    } else j += 1;
  }
  return -1;
}

function wordToken(word: string, next: string | undefined): Token {
  const lower = word.toLowerCase();
  if (LOGIC.has(lower)) return { t: '&', v: lower };
  if (lower === 'union') return { t: 'U', v: lower };
  if (lower === 'select') return { t: 'E', v: lower };
  if (LITERAL_WORDS.has(lower)) return { t: '1', v: lower };
  if (WORD_OPERATORS.has(lower)) return { t: 'o', v: lower };
  if (next === '(' && lower !== 'in' && lower !== 'values') return { t: 'f', v: lower };
  if (KEYWORDS.has(lower)) return { t: 'k', v: lower };
  return { t: 'n', v: lower };
}

function operatorAt(s: string, i: number): string {
  const two = s.slice(i, i + 2);
  if (two === '||' || two === '&&') return two;
  if (/^(?:<=|>=|<>|!=|:=|<<|>>|==)$/.test(two)) return two;
  return s[i]!;
}

/** Tokens of `s`, the first being the rest of an open string when `quote` is given. */
export function sqlTokens(s: string, quote: '' | "'" | '"'): Token[] {
  const out: Token[] = [];
  let i = 0;
  if (quote) {
    const closed = readString(`${quote}${s}`, 0, quote);
    if (closed < 0) return out; // The string never closes: the value stays inside the quotes.
    out.push({ t: 's', v: s.slice(0, closed - 2) });
    i = closed - 1;
  }
  while (i < s.length && out.length < MAX_TOKENS) {
    effort.units += 1;
    const c = s[i]!;
    if (isSpace(c)) {
      i += 1;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = readString(s, i, c);
      out.push({ t: 's', v: s.slice(i + 1, end < 0 ? s.length : end - 1) });
      i = end < 0 ? s.length : end;
    } else if (c === '`') {
      const end = readString(s, i, c);
      out.push({ t: 'n', v: s.slice(i + 1, end < 0 ? s.length : end - 1).toLowerCase() });
      i = end < 0 ? s.length : end;
    } else if (c === '#' || (c === '-' && s[i + 1] === '-')) {
      // A line comment ends at the newline: `-1#\nunion select` goes on after it.
      const nl = s.indexOf('\n', i);
      const end = nl < 0 ? s.length : nl;
      if (nl < 0) {
        out.push({ t: 'c', v: s.slice(i + (c === '#' ? 1 : 2), end).trim() });
        break;
      }
      i = end + 1;
    } else if (c === '/' && s[i + 1] === '*') {
      if (s[i + 2] === '!') {
        // MySQL executable comment `/*!50000 UNION*/`: its content is SQL.
        i += 3;
        while (i < s.length && /[0-9]/.test(s[i]!)) i += 1;
        continue;
      }
      // A closed inline comment is whitespace (`DROP/**/TABLE`); an open one ends the input like `--`.
      const close = s.indexOf('*/', i + 2);
      if (close < 0) out.push({ t: 'c', v: '' });
      i = close < 0 ? s.length : close + 2;
    } else if (c === '*' && s[i + 1] === '/') {
      i += 2;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < s.length && /[0-9a-fA-FxX.]/.test(s[j]!)) j += 1;
      out.push({ t: '1', v: s.slice(i, j) });
      i = j;
    } else if (c === '@') {
      let j = i + 1;
      while (j < s.length && (s[j] === '@' || isWord(s[j]!))) j += 1;
      out.push({ t: 'v', v: s.slice(i, j).toLowerCase() });
      i = j;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < s.length && isWord(s[j]!)) j += 1;
      let k = j;
      while (k < s.length && isSpace(s[k]!)) k += 1;
      out.push(wordToken(s.slice(i, j), s[k]));
      i = j;
    } else if (c === '(' || c === ')' || c === ',' || c === ';') {
      out.push({ t: c, v: c });
      i += 1;
    } else if (/[=<>!|&+\-*/%^~:]/.test(c)) {
      const op = operatorAt(s, i);
      out.push({ t: op === '||' || op === '&&' ? '&' : 'o', v: op });
      i += op.length;
    } else {
      out.push({ t: 'x', v: c });
      i += 1;
    }
  }
  return out;
}

const COMPARISONS = new Set([
  '=',
  '==',
  '<',
  '>',
  '<=',
  '>=',
  '<>',
  '!=',
  '<=>',
  'like',
  'rlike',
  'regexp',
  'is',
  'between',
  'in',
  'sounds',
]);
const operand = (t: Token | undefined) => t !== undefined && (t.t === 's' || t.t === '1' || t.t === 'v');
const named = (t: Token | undefined) => operand(t) || t?.t === 'n';
const ended = (t: Token | undefined) => t === undefined || t.t === 'c' || t.t === ';';
const attackCall = (t: Token | undefined) => t?.t === 'f' && ATTACK_FUNCTIONS.has(t.v);

/** The tokens without parentheses, for the boolean rules (`') OR ('1'='1` reads as `' OR '1'='1`). */
function flat(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => t.t !== '(' && t.t !== ')');
}

/** After AND/OR at `i`: a comparison of literals, a lone literal ending the input, a subquery or an attack call. */
function booleanTail(ts: readonly Token[], i: number, loose: boolean): boolean {
  let j = i + 1;
  if (ts[j]?.t === 'k' && ts[j]!.v === 'not') j += 1;
  const a = ts[j];
  if (a?.t === 'E' || attackCall(a)) return true;
  const left = loose ? named(a) : operand(a);
  if (!left) return false;
  const op = ts[j + 1];
  // A lone literal (`' OR 1--`, `1 OR true`) only as a number or boolean: `"foo" AND "bar"` is a search.
  if (ended(op) || (op?.t === '&' && operand(ts[j + 2]))) return a?.t === '1' && (loose || op !== undefined);
  if (op?.t !== 'o' || !COMPARISONS.has(op.v)) return false;
  const b = ts[j + 2];
  return (loose ? named(b) : operand(b)) || attackCall(b) || b?.t === 'E';
}

/** A statement keyword after `;` that starts a real statement (`; DROP TABLE`, `; EXEC xp_`, `; SELECT 1`). */
function stackedAt(ts: readonly Token[], i: number): boolean {
  const k = ts[i + 1];
  if (!k || !(k.t === 'k' || k.t === 'E' || k.t === 'f') || !STATEMENTS.has(k.v)) return false;
  const next = ts[i + 2];
  if (k.v === 'drop' || k.v === 'truncate' || k.v === 'alter' || k.v === 'create')
    return next?.t === 'k' && /^(?:table|database|schema|procedure|user|view|index)$/.test(next.v);
  if (k.v === 'delete') return next?.t === 'k' && next.v === 'from';
  if (k.v === 'insert') return next?.t === 'k' && next.v === 'into';
  if (k.v === 'update') return next?.t === 'n' && ts[i + 3]?.v === 'set';
  if (k.v === 'waitfor') return next?.v === 'delay' || next?.v === 'time';
  if (k.v === 'declare' || k.v === 'set') return next?.t === 'v';
  if (k.v === 'select') return selectAt(ts, i + 1);
  if (k.v === 'exec' || k.v === 'execute')
    return next?.t === 'f' || next?.t === 'v' || (next?.t === 'n' && /^(?:xp_|sp_|master\.)/.test(next.v));
  return k.v === 'shutdown' && ended(next);
}

/** SELECT followed by what only a query has: a select list of literals/calls/`*`, or FROM one name and a clause. */
function selectAt(ts: readonly Token[], i: number): boolean {
  const a = ts[i + 1];
  if (!a || a.t === 'v' || a.t === 'f' || (a.t === 'o' && a.v === '*') || operand(a)) return true;
  if (a.t === 'k' && (a.v === 'distinct' || a.v === 'all' || a.v === 'top')) return true;
  for (let j = i + 1; j < Math.min(ts.length, i + 12); j += 1) {
    if (ts[j]!.t === 'k' && ts[j]!.v === 'from') {
      const table = ts[j + 1];
      const clause = ts[j + 2];
      if (table?.t !== 'n') return false;
      return (
        ended(clause) ||
        clause?.t === 'U' ||
        clause?.t === ',' ||
        (clause?.t === 'k' && /^(?:where|group|order|having|limit|join|into|offset)$/.test(clause.v))
      );
    }
    if (ts[j]!.t === ',' && named(ts[j + 1])) return true;
  }
  return false;
}

/** UNION [ALL|DISTINCT] SELECT with a select list. */
function unionAt(ts: readonly Token[], i: number): boolean {
  let j = i + 1;
  while (ts[j]?.t === 'c' || ts[j]?.t === '(' || (ts[j]?.t === 'k' && /^(?:all|distinct)$/.test(ts[j]!.v)))
    j += 1;
  const after = ts[j + 2];
  return (
    ts[j]?.t === 'E' &&
    (selectAt(ts, j) || (ts[j + 1]?.t === 'n' && (ended(after) || after?.t === ',' || after?.v === 'from')))
  );
}

/** Rules that hold anywhere in the token sequence. */
function anywhere(ts: readonly Token[]): boolean {
  for (let i = 0; i < ts.length; i += 1) {
    const t = ts[i]!;
    if (t.t === 'U' && unionAt(ts, i)) return true;
    if (t.t === ';' && stackedAt(ts, i)) return true;
    if (t.t === 'E' && i > 0 && selectAt(ts, i) && ts[i - 1]!.t !== 'n') return true;
    if (
      t.t === 'E' &&
      i === 0 &&
      ts[1]?.t !== 'n' &&
      selectAt(ts, i) &&
      ts.some((x) => x.t === 'o' || x.t === ',')
    )
      return true;
    if (
      t.t === 'E' &&
      i === 0 &&
      ts[1]?.t === 'n' &&
      selectAt(ts, i) &&
      ts.some((x) => x.t === 'o' && COMPARISONS.has(x.v))
    )
      return true;
    if (t.t === 'k' && t.v === 'waitfor' && (ts[i + 1]?.v === 'delay' || ts[i + 1]?.v === 'time'))
      return true;
    if (t.t === 'k' && t.v === 'into' && (ts[i + 1]?.v === 'outfile' || ts[i + 1]?.v === 'dumpfile'))
      return true;
    if ((t.t === 'n' || t.t === 'f') && t.v.includes('xp_cmdshell')) return true;
    if (
      t.t === 'f' &&
      /^(?:sleep|benchmark|pg_sleep|dbms_pipe\.receive_message|dbms_lock\.sleep)$/.test(t.v)
    ) {
      const before = ts[i - 1];
      if (before && /^[&E;(,oUk]$/.test(before.t)) return true;
      if (!before && t.v !== 'sleep' && ts[i + 1]?.t === '(' && ts[i + 2]?.t === '1') return true;
      if (!before && ts[i + 2]?.t === '1' && ts[i + 3]?.t === ')' && ended(ts[i + 4])) return true;
    }
    if (t.t === 'f' && (t.v === 'iif' || t.v === 'if') && operand(ts[i + 2]) && ts[i + 3]?.t === 'o') {
      if (COMPARISONS.has(ts[i + 3]!.v) && operand(ts[i + 4]) && ts[i + 5]?.t === ',') return true;
    }
  }
  return false;
}

/** Rules for the tokens that follow a closed string (the attacker's quote). */
function afterBreak(tokens: readonly Token[]): boolean {
  const ts = flat(tokens);
  const a = ts[1];
  if (!a) return false;
  // A quote closed then commented out (`admin'--`): only after a short, unspaced string and with nothing after.
  const word = /^\S{0,32}$/.test(ts[0]!.v);
  if (a.t === 'c') return word && a.v.length <= 3;
  if (a.t === '&') return booleanTail(ts, 1, true);
  if (a.t === 'U' || a.t === ';') return anywhere(ts.slice(1)) || (a.t === ';' && word && ended(ts[2]));
  if (a.t === 'k' && /^(?:order|group)$/.test(a.v)) return ts[2]?.v === 'by';
  if (a.t === 'k' && a.v === 'into')
    return ts[2]?.v === 'outfile' || ts[2]?.v === 'dumpfile' || ts[2]?.t === 'v';
  if (a.t === 'k' && /^(?:having|procedure|limit)$/.test(a.v)) return operand(ts[2]) || ts[2]?.t === 'f';
  if (a.t === 'k' && a.v === 'waitfor') return true;
  if (a.t === 'o' && attackCall(ts[2])) return true;
  if (a.t === 'o' && a.v === '=' && operand(ts[2])) return ended(ts[3]) || ts[3]?.t === '&';
  return anywhere(ts.slice(1));
}

/** Rules for a value read as it is (numeric context: `1 OR 1=1`, `-1 UNION SELECT`, `1; DROP TABLE t`). */
function asIs(tokens: readonly Token[]): boolean {
  if (anywhere(tokens)) return true;
  const ts = flat(tokens);
  const a = ts[0];
  if (!a) return false;
  if (a.t === '&') return booleanTail(ts, 0, true) && ts.length <= 12;
  if (a.t === 'k' && /^(?:order|group)$/.test(a.v))
    return ts[1]?.v === 'by' && ts[2]?.t === '1' && ended(ts[3]);
  if (!operand(a)) return false;
  const b = ts[1];
  if (b?.t === '&') return booleanTail(ts, 1, false);
  if (b?.t === 'k' && /^(?:order|group)$/.test(b.v)) return ts[2]?.v === 'by' && named(ts[3]) && ended(ts[4]);
  if (attackCall(a) && ended(ts[ts.length - 1])) return true;
  return false;
}

const SQL_HINT =
  /['"`;=()#@<>|&]|--|\/\*|\b(?:union|select|waitfor|xp_|sleep|benchmark|order|group|having)\b/i;

/** Whether `text` (already decoded) reads as SQL injection in any of the three quoting contexts. */
/**
 * Comment syntax only SQL uses as code: MySQL's executable comments (`/*!50000select*\/`), and a comment standing in
 * for the space next to `union` or `select` (`1/**\/union`, `union/*x*\/select`), a filter evasion no prose has.
 */
const SQL_COMMENT_CODE =
  /\/\*![\d\s]{0,8}[a-z(@]|\/\*(?:[^*]|\*(?!\/)){0,60}\*\/\s*(?:union|select)\b|\b(?:union|select)\s*\/\*/i;

export function looksLikeSqlInjection(text: string): boolean {
  if (text.includes('/*') && SQL_COMMENT_CODE.test(text)) return true;
  if (!SQL_HINT.test(text)) return false;
  if (asIs(sqlTokens(text, ''))) return true;
  if (text.includes("'") && afterBreak(sqlTokens(text, "'"))) return true;
  if (text.includes('"') && afterBreak(sqlTokens(text, '"'))) return true;
  return false;
}
