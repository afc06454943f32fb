import type { FastifyInstance } from 'fastify';
import { pingStream, stopStream } from '../media/media-source.ts';
import type { StreamRooms } from './ports.ts';
import type { StreamLibrary } from './stream-sessions.ts';

/** `app.rooms` as the streams see it. */
export function roomsPort(app: FastifyInstance): StreamRooms {
  const { rooms } = app;
  return {
    async currentItem(roomId) {
      return (await rooms.snapshot(roomId))?.playback.itemId;
    },
    isMember: (roomId, userId) => rooms.isMember(roomId, userId),
    onItemChanged(listener) {
      rooms.events.on('item', listener);
      return () => rooms.events.off('item', listener);
    },
    onEmptied(listener) {
      rooms.events.on('empty', listener);
      return () => rooms.events.off('empty', listener);
    },
    async playback(roomId) {
      const playback = (await rooms.snapshot(roomId))?.playback;
      if (!playback) return undefined;
      // A play scheduled a moment ahead (`atServerMs` in the future) has not moved yet.
      const elapsed =
        playback.status === 'playing' ? Math.max(0, rooms.clock.now() - playback.atServerMs) * playback.rate : 0;
      return {
        itemId: playback.itemId,
        state: playback.status === 'waiting' ? 'buffering' : playback.status,
        timeMs: Math.max(0, playback.positionMs + elapsed),
      };
    },
  };
}

/** `app.library` as the streams see it. */
export function libraryPort(app: FastifyInstance): StreamLibrary {
  return {
    async resolve(key, sessionKey) {
      const source = await app.library.sourceForRoom(key.roomId);
      return source.resolveStream(key.itemId, key.quality, { sessionKey });
    },
    stop: (descriptor) => stopStream(descriptor),
    keepAlive: (descriptor) => pingStream(descriptor),
    async timeline(key, sessionKey, report) {
      const source = await app.library.sourceForRoom(key.roomId);
      await source.reportTimeline?.(key.itemId, sessionKey, report);
    },
  };
}
