import type { Clock } from '@dpp/shared';

/** The page's clock: monotonic time (`performance.now`, not the wall clock) and the page's timers. */
export const browserClock: Clock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => globalThis.setTimeout(run, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};
