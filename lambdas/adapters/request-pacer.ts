/** Clock and sleep, injectable so tests run in virtual time. */
export interface PacerClock {
  /** Milliseconds, monotonic enough for spacing calls. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Spaces calls at least `intervalMs` apart, in the order they ask. */
export interface RequestPacer {
  /** Resolves when the caller may make its call. */
  acquire(): Promise<void>;
}

/**
 * Creates a pacer that hands out one slot every `intervalMs`. Slots are reserved synchronously, so concurrent
 * callers in one process queue up instead of racing; the first call is not delayed.
 */
export function createRequestPacer(intervalMs: number, clock: PacerClock = systemClock): RequestPacer {
  let nextSlot = Number.NEGATIVE_INFINITY;
  return {
    async acquire() {
      const now = clock.now();
      const slot = Math.max(now, nextSlot);
      nextSlot = slot + intervalMs;
      if (slot > now) await clock.sleep(slot - now);
    },
  };
}
