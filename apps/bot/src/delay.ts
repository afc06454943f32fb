import type { Clock } from '@dpp/shared';

/**
 * Waits `ms` on `clock`. Resolves true once the time has passed, or false as soon as `signal` aborts
 * (the bot is stopping): a wait never outlives its owner and never throws.
 */
export function delay(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const finish = (elapsed: boolean) => {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      resolve(elapsed);
    };
    const aborted = () => finish(false);
    const timer = clock.setTimeout(() => finish(true), ms);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
