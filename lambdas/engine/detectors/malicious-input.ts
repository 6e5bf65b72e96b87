import { codeInjections } from './code-injection';
import { decodeAll, MAX_INSPECTED_LENGTH, mayDecode } from './decode';
import { looksLikeXss } from './markup';
import { looksLikeRemoteInclusion, looksLikeTraversal } from './paths';
import { looksLikeCommand } from './shell';
import { looksLikeSqlInjection } from './sql';

/**
 * Malicious intent in request input (path, query names and values, chosen headers), read by tokenizers and small
 * grammars rather than lists of fragments: SQL is tokenized and judged by token sequence (sql.ts), markup is parsed
 * tag by tag (markup.ts), shell by separator and command word (shell.ts), paths by segment (paths.ts), server-side
 * code by the syntax of each language (code-injection.ts). Each value is judged as it came and after the explicit,
 * bounded decoding layers of decode.ts. Context matters: a header is judged as a header (`; id)` in a user agent is
 * a separator and a locale, not a command), a value as a value, the path as a path.
 */
export type InjectionKind =
  | 'sqli'
  | 'xss'
  | 'traversal'
  | 'jndi'
  | 'command'
  | 'rfi'
  | 'php'
  | 'java'
  | 'prototype'
  | 'template'
  | 'ssrf';

/** Where a value sits in the request: it decides which readings apply. */
export type InputPartKind = 'path' | 'query-name' | 'query-value' | 'header';

/** One part of a request to judge; `name` is the header or parameter name ('' for the path). */
export interface InputPart {
  readonly kind: InputPartKind;
  readonly name: string;
  readonly value: string;
}

/** Percent-decoding, twice, and plus-as-space (kept for callers of the original API); never throws. */
export function decodeLoosely(text: string): string {
  return decodeAll(text.replace(/\+/g, ' '), 2);
}

function judgeText(text: string, part: InputPartKind, name: string, found: Set<InjectionKind>): void {
  const header = part === 'header';
  if (looksLikeSqlInjection(text)) found.add('sqli');
  if (looksLikeXss(text)) found.add('xss');
  if (looksLikeCommand(text, header ? 'header' : 'value')) found.add('command');
  if (looksLikeTraversal(text, part === 'path' ? 'path' : header ? 'header' : 'value'))
    found.add('traversal');
  if (part === 'query-value' && looksLikeRemoteInclusion(text, name)) found.add('rfi');
  for (const kind of codeInjections(text)) found.add(kind);
}

const NONE: readonly InjectionKind[] = [];
/** Verdicts on recent values: user agents, referers and paths repeat across a client's requests. */
const remembered = new Map<string, readonly InjectionKind[]>();
const MAX_REMEMBERED = 4096;
const MAX_REMEMBERED_LENGTH = 512;

/** The injection kinds one part of a request carries (as it came, and decoded). */
export function injectionsInPart(part: InputPart): readonly InjectionKind[] {
  const raw = part.value;
  if (!raw) return NONE;
  const key =
    part.kind === 'query-value' ? `${part.kind}\u0000${part.name}\u0000${raw}` : `${part.kind}\u0000${raw}`;
  const hit = remembered.get(key);
  if (hit !== undefined) return hit;
  const capped = raw.length > MAX_INSPECTED_LENGTH ? raw.slice(0, MAX_INSPECTED_LENGTH) : raw;
  const found = new Set<InjectionKind>();
  judgeText(capped, part.kind, part.name, found);
  if (mayDecode(capped)) {
    const decoded = decodeAll(capped);
    if (decoded !== capped) judgeText(decoded, part.kind, part.name, found);
  }
  const verdict = found.size > 0 ? [...found] : NONE;
  if (raw.length <= MAX_REMEMBERED_LENGTH) {
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(key, verdict);
  }
  return verdict;
}

/** The distinct injection kinds found in the given request parts. */
export function findInjectionsIn(parts: readonly InputPart[]): InjectionKind[] {
  const found = new Set<InjectionKind>();
  for (const part of parts) for (const kind of injectionsInPart(part)) found.add(kind);
  return [...found];
}

/** The distinct injection kinds found in the given values, each judged as a parameter value. */
export function findInjections(values: readonly string[]): InjectionKind[] {
  return findInjectionsIn(values.map((value) => ({ kind: 'query-value', name: '', value })));
}

/** The parts of a request the authorizer judges: path, query names and values, the inspected headers. */
export function requestParts(
  request: {
    readonly path: string;
    readonly query: Readonly<Record<string, string>>;
    readonly headers: Readonly<Record<string, string>>;
  },
  inspectHeaders: readonly string[],
): InputPart[] {
  const parts: InputPart[] = [{ kind: 'path', name: '', value: request.path }];
  for (const [name, value] of Object.entries(request.query)) {
    parts.push({ kind: 'query-name', name, value: name }, { kind: 'query-value', name, value });
  }
  for (const h of inspectHeaders) {
    const value = request.headers[h];
    if (value) parts.push({ kind: 'header', name: h, value });
  }
  return parts;
}
