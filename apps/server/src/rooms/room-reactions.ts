/**
 * Reactions: an emoji a member sends floats over everyone's picture at one server instant and stays
 * as a mark on the item's timeline for the room's life. Marks carry no user id (who reacted is only
 * in the broadcast's cause, never kept).
 */
import { PROTOCOL_LIMITS, type ReactionEmoji, type ReactionMark } from '@dpp/shared';
import type { RoomRecord } from './room-record.ts';

export const reactionsOn = (room: Pick<RoomRecord, 'settings'>): boolean => room.settings.reactions !== false;

/** Pins a reaction at `positionMs` of the current item, shown at `at`; the oldest marks make room. */
export function addReaction(
  room: RoomRecord,
  mark: { itemId: string; positionMs: number; emoji: ReactionEmoji; at: number },
  limit: number = PROTOCOL_LIMITS.maxReactionMarks,
): void {
  const next: ReactionMark = { ...mark, positionMs: Math.round(mark.positionMs) };
  room.reactions = [...(room.reactions ?? []), next].slice(-limit);
}
