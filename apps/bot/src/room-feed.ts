/**
 * One room's event feed (`GET /api/bot/rooms/:roomId/events`): the whole room after every change
 * (and on every (re)connection, so nothing is missed while the server was away), then `ended`.
 */
import {
  BOT_ROOM_EVENTS,
  BOT_ROOM_EVENTS_PATH,
  botApiPath,
  botRoomEndedSchema,
  type Clock,
  type RoomResponse,
  roomResponseSchema,
} from '@dpp/shared';
import type { Logger } from 'pino';
import { EventFeed } from './event-feed.ts';
import type { Actor, ServerApi } from './server-api.ts';

export interface RoomFeedOptions {
  api: ServerApi;
  roomId: string;
  actor: () => Actor;
  log: Logger;
  /** The room now. */
  onRoom(room: RoomResponse): void;
  /** The room ended, or there is none: the feed has stopped. */
  onEnded(): void;
  backoff?: { initialDelayMs: number; maxDelayMs: number };
  clock?: Clock;
}

export function followRoom(options: RoomFeedOptions): EventFeed {
  const { roomId, log } = options;
  return new EventFeed({
    api: options.api,
    path: botApiPath(BOT_ROOM_EVENTS_PATH, { roomId }),
    actor: options.actor,
    log,
    backoff: options.backoff,
    clock: options.clock,
    onEnded: options.onEnded,
    onEvent(event, data) {
      if (event === BOT_ROOM_EVENTS.ended) return botRoomEndedSchema.safeParse(data).success;
      if (event !== BOT_ROOM_EVENTS.room) return false;
      const room = roomResponseSchema.safeParse(data);
      if (!room.success) {
        log.warn({ roomId, issues: room.error.issues.slice(0, 3) }, 'room feed sent a room of an unknown shape');
      } else if (room.data.snapshot.roomId === roomId) {
        options.onRoom(room.data);
      }
      return false;
    },
  });
}
