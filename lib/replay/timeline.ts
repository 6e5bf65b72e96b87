/**
 * Replay's time origin. Recorded times are moved by a whole number of days so that the log's first day becomes the
 * day after the replay runs (replayed time is then always ahead of the clock, so no TTL on the isolated table can
 * expire during the run): every counter window (1-minute buckets, 10-minute set epochs, 10-second traffic slots, hour and
 * day windows) divides a day, so each request falls at the same place in its windows as it did when recorded — the
 * same file gives the same decisions on any day — while TTL attributes stay in the future for the isolated table.
 * Reports always show recorded times, never replayed ones.
 */
export const DAY_MS = 86_400_000;

/** The offset (ms, a multiple of a day) added to recorded times on replay. */
export function replayOffsetMs(firstRecordedMs: number, nowMs: number): number {
  return (Math.floor(nowMs / DAY_MS) + 1 - Math.floor(firstRecordedMs / DAY_MS)) * DAY_MS;
}
