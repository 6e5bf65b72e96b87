const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/**
 * Epoch ms of a CLF time, `dd/MMM/yyyy:HH:mm:ss +-hhmm` (the form of API Gateway's `$context.requestTime`); NaN
 * when it is not one.
 */
export function parseClfTime(text: string): number {
  const m = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(
    text.trim(),
  );
  const month = m ? MONTHS[m[2]!] : undefined;
  if (!m || month === undefined) return Number.NaN;
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offsetMs = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === '-' ? -1 : 1);
  return utc - offsetMs;
}

/** Epoch ms of an ISO 8601 time (ALB's `2018-07-02T22:23:00.186641Z`); NaN when unparseable. */
export function parseIsoTime(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/.test(text)) return Number.NaN;
  return Date.parse(text);
}
