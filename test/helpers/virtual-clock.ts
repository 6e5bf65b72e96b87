import type { PacerClock } from '../../lambdas/adapters/request-pacer';

/** A clock whose sleeps return at once and move time forward: backoff and pacing run in virtual time. */
export interface VirtualClock extends PacerClock {
  /** Every sleep requested, in order (ms). */
  readonly sleeps: number[];
  /** Moves time forward without a sleep. */
  advance(ms: number): void;
}

export function virtualClock(start = 1_000_000): VirtualClock {
  let time = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => time,
    sleep: async (ms) => {
      sleeps.push(ms);
      time += ms;
    },
    advance: (ms) => {
      time += ms;
    },
  };
}
