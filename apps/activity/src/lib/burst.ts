import type { Clock } from '@dpp/shared';
import { browserClock } from './browser-clock.ts';

/** Clicks on the same item's button closer together than this are one click (a burst). */
const BURST_MS = 1000;

/**
 * Turns a burst of clicks into one action: a click within BURST_MS of the previous click on the same
 * key is ignored (and extends the burst), so eight fast clicks on "Add to queue" add one entry.
 */
export function burstGuard(clock: Pick<Clock, 'now'> = browserClock): (key: string) => boolean {
  const last = new Map<string, number>();
  return (key) => {
    const at = clock.now();
    const previous = last.get(key);
    last.set(key, at);
    return previous === undefined || at - previous >= BURST_MS;
  };
}
