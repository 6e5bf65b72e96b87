import { parseAccessLogLine } from '../../../lambdas/log-feedback/parse';
import type { ReplayLine } from './types';

/** Gatewarden's own JSON access-log line (`access-log-format.ts`): the same parser as the feedback handler. */
export function parseGatewardenLine(text: string): ReplayLine | undefined {
  const line = parseAccessLogLine(text);
  return line ? { ...line, recordedBy: 'gatewarden' } : undefined;
}

/** True when a JSON object carries the keys only Gatewarden's format has together. */
export function looksLikeGatewarden(json: Record<string, unknown>): boolean {
  return 'requestTimeEpoch' in json && 'ip' in json && 'resource' in json;
}
