import type { CounterStore } from '../engine/ports';
import type { AccessLogLine } from './access-log-format';
import { aggregateFeedback } from './aggregate';
import { decodeSubscriptionEvent, parseAccessLogLine } from './parse';

export interface FeedbackResult {
  readonly lines: number;
  readonly badLines: number;
  readonly writes: number;
  readonly control: boolean;
}

/**
 * Processes one CloudWatch Logs subscription delivery: bad lines are counted and skipped; a store failure rejects so
 * Lambda retries the whole delivery (ADD is not idempotent, but a retried batch over-counts by at most one batch,
 * which only errs towards caution, while a dropped batch would hide an attack).
 */
export async function processSubscriptionEvent(event: unknown, store: CounterStore): Promise<FeedbackResult> {
  const message = decodeSubscriptionEvent(event);
  if (message.messageType !== 'DATA_MESSAGE') return { lines: 0, badLines: 0, writes: 0, control: true };
  const lines: AccessLogLine[] = [];
  let badLines = 0;
  for (const e of message.logEvents) {
    const line = parseAccessLogLine(e.message);
    if (line) lines.push(line);
    else badLines += 1;
  }
  const updates = aggregateFeedback(lines);
  await store.applyUpdates(updates);
  return { lines: lines.length, badLines, writes: updates.length, control: false };
}
