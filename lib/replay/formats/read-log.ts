import { looksLikeAlb, parseAlbLine } from './alb';
import { looksLikeApigwClf, parseApigwClfLine } from './apigw-clf';
import { cloudfrontParser, looksLikeCloudfront } from './cloudfront';
import { type ContextField, contextJsonParser } from './context-json';
import { looksLikeGatewarden, parseGatewardenLine } from './gatewarden';
import type { FormatCapabilities, LogFormat, ReplayLine } from './types';

/** A log read and parsed: its lines in time order (stable: equal times keep file order). */
export interface ParsedLog {
  readonly format: LogFormat;
  readonly lines: readonly ReplayLine[];
  /** Lines that were not lines of the format (headers excluded). */
  readonly badLines: number;
  readonly capabilities: FormatCapabilities;
}

const SAMPLE_LINES = 20;

function detectLine(line: string): LogFormat | undefined {
  if (line.startsWith('{')) {
    try {
      const json = JSON.parse(line) as unknown;
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
      return looksLikeGatewarden(json as Record<string, unknown>) ? 'gatewarden' : 'apigw-json';
    } catch {
      return undefined;
    }
  }
  if (looksLikeCloudfront(line)) return 'cloudfront';
  if (looksLikeAlb(line)) return 'alb';
  if (looksLikeApigwClf(line)) return 'apigw-clf';
  return undefined;
}

/** The format most of the first lines look like; undefined when none is recognised. */
export function detectFormat(lines: readonly string[]): LogFormat | undefined {
  const votes = new Map<LogFormat, number>();
  for (const line of lines.slice(0, SAMPLE_LINES)) {
    const f = detectLine(line);
    if (f) votes.set(f, (votes.get(f) ?? 0) + 1);
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

function parserFor(
  format: LogFormat,
  map: Partial<Record<ContextField, string>>,
): (line: string) => ReplayLine | undefined | 'header' {
  switch (format) {
    case 'gatewarden':
      return parseGatewardenLine;
    case 'apigw-json':
      return contextJsonParser(map);
    case 'apigw-clf':
      return parseApigwClfLine;
    case 'alb':
      return parseAlbLine;
    case 'cloudfront':
      return cloudfrontParser();
  }
}

const recordsAll = (format: LogFormat): boolean => format === 'alb' || format === 'cloudfront';

/** What the parsed lines actually carry (a field that is empty on every line is not in the log). */
export function capabilitiesOf(format: LogFormat, lines: readonly ReplayLine[]): FormatCapabilities {
  const any = (f: (l: ReplayLine) => unknown) => lines.some((l) => Boolean(f(l)));
  return {
    // ALB and CloudFront always record the user agent and the query (a line without one had none); the others only
    // when the stage's format has the field, seen as a value on some line.
    userAgent: recordsAll(format) || any((l) => l.userAgent),
    query: recordsAll(format) || any((l) => l.query !== undefined),
    principal: any((l) => l.principalId && l.principalId !== 'anonymous'),
    tokenHash: any((l) => l.tokenHash),
    // ALB and CloudFront record paths only; their templates are derived (`templateOf`).
    route: format !== 'alb' && format !== 'cloudfront' && any((l) => l.resource),
    path: any((l) => l.path),
  };
}

/**
 * Parses a whole log. `format` forces one (else detected from the first lines); `map` applies to `$context` JSON.
 * Returns undefined when the format cannot be recognised.
 */
export function parseLog(
  text: string,
  options: { readonly format?: LogFormat; readonly map?: Partial<Record<ContextField, string>> } = {},
): ParsedLog | undefined {
  const raw = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const mapped = options.map && Object.keys(options.map).length > 0;
  const format = options.format ?? (mapped ? 'apigw-json' : detectFormat(raw));
  if (!format) return undefined;
  const parse = parserFor(format, options.map ?? {});
  const lines: ReplayLine[] = [];
  let badLines = 0;
  for (const line of raw) {
    const parsed = parse(format === 'cloudfront' ? line : line.trim());
    if (parsed === 'header') continue;
    if (parsed) lines.push(parsed);
    else badLines += 1;
  }
  lines.sort((a, b) => a.requestTimeEpoch - b.requestTimeEpoch);
  return { format, lines, badLines, capabilities: capabilitiesOf(format, lines) };
}
