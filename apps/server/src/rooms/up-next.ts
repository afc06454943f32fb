/**
 * "Up next": when an episode reaches its credits (or its end) with nothing queued after it, the room
 * announces the next episode of the show with a countdown everyone sees; when it runs out the episode
 * starts, unless someone who may control cancels it or starts it at once. Pure functions on a draft
 * record, like room-logic.ts; the engine looks the next episode up before the write.
 */
import { type Cause, UP_NEXT_COUNTDOWN_MS } from '@dpp/shared';
import {
  type Actor,
  type Context,
  type ItemInfo,
  itemEndsAt,
  newEntry,
  type Outcome,
  positionAt,
  startItem,
} from './room-logic.ts';
import type { RoomRecord } from './room-record.ts';

/** The episode after the current one (across seasons), as the library describes it. */
export interface NextEpisode extends ItemInfo {
  itemId: string;
}

const changed = (cause: Cause): Outcome => ({ kind: 'changed', cause });
const unchanged: Outcome = { kind: 'unchanged' };

/** Who starts an episode from the countdown, in the queue's "added by". */
export const UP_NEXT_ACTOR: Actor = { userId: '', name: 'Up next' };

/**
 * Whether the room should offer what follows its current item: it is playing something, nothing is
 * queued after it, the room has not turned the feature off, and nobody cancelled it for this entry.
 */
export function wantsUpNext(room: RoomRecord): boolean {
  const current = room.playback.itemId === null ? undefined : room.queue[0];
  return (
    current !== undefined &&
    room.queue.length === 1 &&
    room.settings.autoplayNext !== false &&
    !room.upNext &&
    room.upNextDismissed !== current.entryId
  );
}

/** Starts the countdown for `next` when the room wants one (see `wantsUpNext`). */
export function announceUpNext(room: RoomRecord, next: NextEpisode | undefined, ctx: Context): boolean {
  if (!next || !wantsUpNext(room)) return false;
  const { itemId, title, durationMs, thumb, creditsAtMs } = next;
  room.upNext = {
    itemId,
    title,
    durationMs,
    thumb,
    ...(creditsAtMs === undefined ? {} : { creditsAtMs }),
    startsAt: ctx.now + UP_NEXT_COUNTDOWN_MS,
  };
  return true;
}

/** When the current item's credits start, in server time (undefined when it has none or is not playing). */
export function creditsStartAt(room: Pick<RoomRecord, 'playback' | 'queue'>): number | undefined {
  const current = room.playback.itemId === null ? undefined : room.queue[0];
  if (current?.creditsAtMs === undefined || room.playback.status !== 'playing') return undefined;
  const { positionMs, atServerMs, rate } = room.playback;
  return atServerMs + Math.max(0, current.creditsAtMs - positionMs) / rate;
}

/** The playing item reached its credits: announce the next episode while the credits roll. */
export function creditsReached(room: RoomRecord, rev: number, ctx: Context, next: NextEpisode | undefined): Outcome {
  if (room.playback.rev !== rev) return unchanged;
  const at = creditsStartAt(room);
  if (at === undefined) return unchanged;
  const remainingMs = at - ctx.now;
  if (remainingMs > ctx.tuning.timerToleranceMs) return { kind: 'early', remainingMs };
  // Past the end already: the end-of-item timer announces it.
  const endsAt = itemEndsAt(room);
  if (endsAt !== undefined && endsAt <= ctx.now) return unchanged;
  if (positionAt(room, ctx.now) < (room.queue[0]?.creditsAtMs ?? 0) - ctx.tuning.timerToleranceMs) return unchanged;
  return announceUpNext(room, next, ctx) ? changed({ type: 'system', event: 'up-next' }) : unchanged;
}

/** The countdown ran out: the next episode starts (the credits still rolling give way). */
export function upNextDue(room: RoomRecord, ctx: Context): Outcome {
  const upNext = room.upNext;
  if (!upNext) return unchanged;
  const remainingMs = upNext.startsAt - ctx.now;
  if (remainingMs > ctx.tuning.timerToleranceMs) return { kind: 'early', remainingMs };
  start(room, UP_NEXT_ACTOR, ctx);
  return changed({ type: 'system', event: 'up-next' });
}

export function cancelUpNext(room: RoomRecord, cause: Cause): Outcome {
  if (!room.upNext) return { kind: 'rejected', code: 'no_up_next' };
  room.upNext = null;
  // Not offered again for the entry still playing its credits.
  room.upNextDismissed = room.playback.itemId === null ? null : (room.queue[0]?.entryId ?? null);
  return changed(cause);
}

export function playUpNext(room: RoomRecord, actor: Actor, cause: Cause, ctx: Context): Outcome {
  if (!room.upNext) return { kind: 'rejected', code: 'no_up_next' };
  start(room, actor, ctx);
  return changed(cause);
}

function start(room: RoomRecord, actor: Actor, ctx: Context) {
  const upNext = room.upNext!;
  const entry = newEntry(room, upNext.itemId, upNext, actor);
  // It takes the place of the item whose credits were rolling, if any.
  room.queue = [entry, ...room.queue.slice(room.playback.itemId === null ? 0 : 1)];
  room.upNextDismissed = null;
  startItem(room, entry, ctx);
}
