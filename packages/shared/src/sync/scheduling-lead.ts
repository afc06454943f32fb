import { SYNC, type SyncTuning } from './constants.ts';

/**
 * How far ahead the server stamps a play or seek (atServerMs = now + lead) so every member gets the
 * state before the instant: the slowest member's RTT plus a margin for the player, bounded so that a
 * member on a terrible link cannot make the room sluggish (that member starts late and catches up).
 * Invalid RTTs (negative, non-finite) are ignored; with none, the lead is the minimum.
 */
export function schedulingLead(memberRttsMs: readonly number[], tuning: SyncTuning = SYNC): number {
  let slowest = 0;
  for (const rtt of memberRttsMs) {
    if (Number.isFinite(rtt) && rtt > slowest) slowest = rtt;
  }
  return Math.min(tuning.leadMaxMs, Math.max(tuning.leadMinMs, slowest + tuning.leadMarginMs));
}
