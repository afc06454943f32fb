/**
 * Time as a port: the one way code in every app (server, bot, activity) takes the time and sets
 * timers, so that tests can drive it (`ManualClock` in `@dpp/shared/testing`). Production code gets
 * `systemClock` (or, in the browser, a clock whose `now` is `performance.now`) by injection.
 */

/** Whatever a clock's setTimeout returned; only given back to its clearTimeout. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds: epoch time for `systemClock`; a clock may be monotonic instead, as its owner says. */
  now(): number;
  setTimeout(run: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Timers that do not keep a Node process alive; plain timers in the browser. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => {
    const timer = setTimeout(run, ms) as unknown as { unref?: () => void };
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Runs `run` every `ms` on `clock` until the returned function is called. Each run is scheduled after
 * the previous one returns, so a slow run never piles up behind itself.
 */
export function every(clock: Clock, ms: number, run: () => void): () => void {
  let handle: TimerHandle;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    try {
      run();
    } finally {
      if (!stopped) handle = clock.setTimeout(tick, ms);
    }
  };
  handle = clock.setTimeout(tick, ms);
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}
