import { gunzipSync } from 'node:zlib';
import * as z from '../shared/schema';
import type { AccessLogLine } from './access-log-format';

/** A CloudWatch Logs subscription payload after base64 + gunzip. */
export interface SubscriptionMessage {
  readonly messageType: string;
  readonly logEvents: readonly {
    readonly id?: string;
    readonly timestamp?: number;
    readonly message: string;
  }[];
}

/** The subscription event is not decodable at all (not a bad line: the whole delivery is wrong). */
export class FeedbackEventError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FeedbackEventError';
  }
}

const MAX_DECODED_BYTES = 8 * 1024 * 1024;

const subscriptionSchema = z.object({
  messageType: z.string(),
  logEvents: z._default(z.array(z.looseObject({ message: z.string() })), []),
});

/** Decodes `{ awslogs: { data } }` (base64 of gzip of JSON). Throws {@link FeedbackEventError} when impossible. */
export function decodeSubscriptionEvent(event: unknown): SubscriptionMessage {
  const data = (event as { awslogs?: { data?: unknown } } | null)?.awslogs?.data;
  if (typeof data !== 'string' || data.length === 0)
    throw new FeedbackEventError('not a CloudWatch Logs event');
  let json: unknown;
  try {
    const raw = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_DECODED_BYTES });
    json = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new FeedbackEventError('undecodable CloudWatch Logs payload', { cause: error });
  }
  const parsed = subscriptionSchema.safeParse(json);
  if (!parsed.success) throw new FeedbackEventError('CloudWatch Logs payload without messageType/logEvents');
  return parsed.data as SubscriptionMessage;
}

/** API Gateway writes `-` for an empty value; numbers arrive as numbers or strings. */
const text = z.catch(
  z.pipe(
    z.union([z.string(), z.number()]),
    z.transform((v) => {
      const s = String(v);
      return s === '-' ? '' : s;
    }),
  ),
  '',
);
const number = z.pipe(
  z.union([z.number(), z.string()]),
  z.transform((v, ctx) => {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) {
      ctx.issues.push({ code: 'custom', message: 'not a number', input: v });
      return z.NEVER;
    }
    return n;
  }),
);

const lineSchema = z.object({
  requestId: z._default(text, ''),
  ip: z.string().check(z.minLength(1), z.maxLength(64)),
  requestTimeEpoch: number,
  httpMethod: z._default(text, ''),
  resource: z._default(text, ''),
  path: z._default(text, ''),
  status: number,
  responseLatency: z._default(z.catch(number, 0), 0),
  userAgent: z._default(text, ''),
  principalId: z._default(text, ''),
  tokenHash: z._default(text, ''),
  riskBand: z.optional(text),
  // Quoted in the format (`-` when the authorizer gave none): anything but a number reads as absent.
  riskScore: z.catch(z.optional(number), undefined),
  label: z.catch(z.optional(z.enum(['human', 'bot'])), undefined),
});

/** Parses one access-log line; undefined when it is not a line of the project's format. */
export function parseAccessLogLine(message: string): AccessLogLine | undefined {
  if (message.length > 16_384) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const parsed = lineSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const line = parsed.data;
  if (line.status < 100 || line.status > 599 || line.requestTimeEpoch <= 0) return undefined;
  return line as AccessLogLine;
}
