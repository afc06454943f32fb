import type { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../lib/errors.ts';
import { toHttpError } from '../library/http-errors.ts';
import { type MediaSource, stopStream } from '../library/media-source.ts';
import { guildOf, type StreamRooms } from './ports.ts';
import type { StreamLibrary } from './stream-sessions.ts';

/** The part of `app.rooms` the streams use (PLAN: rooms contract). */
interface RoomsDecorator {
  snapshot(roomId: string): Promise<{ playback: { itemId: string | null } } | undefined | null>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  events: EventEmitter;
}

/** The part of `app.library` the streams use (PLAN: library contract). */
interface LibraryDecorator {
  sourceFor(guildId: string | undefined): Promise<MediaSource>;
}

function decorator<T>(app: FastifyInstance, name: string): T | undefined {
  return app.hasDecorator(name) ? ((app as unknown as Record<string, unknown>)[name] as T) : undefined;
}

export function roomsPort(app: FastifyInstance): StreamRooms {
  const rooms = () => decorator<RoomsDecorator>(app, 'rooms');
  return {
    async currentItem(roomId) {
      const snapshot = await rooms()?.snapshot(roomId);
      return snapshot ? snapshot.playback.itemId : undefined;
    },
    async isMember(roomId, userId) {
      return (await rooms()?.isMember(roomId, userId)) ?? false;
    },
    onItemChanged(listener) {
      const events = rooms()?.events;
      events?.on('item', listener);
      return () => events?.off('item', listener);
    },
    onEmptied(listener) {
      const events = rooms()?.events;
      events?.on('empty', listener);
      return () => events?.off('empty', listener);
    },
  };
}

export function libraryPort(app: FastifyInstance): StreamLibrary {
  const library = () => {
    const found = decorator<LibraryDecorator>(app, 'library');
    if (!found) throw new HttpError(503, 'library_unavailable', 'No media library is set up on this server.');
    return found;
  };
  return {
    async resolve(key, sessionKey) {
      try {
        const source = await library().sourceFor(guildOf(key.roomId));
        return await source.resolveStream(key.itemId, key.quality, { sessionKey });
      } catch (error) {
        throw toHttpError(error);
      }
    },
    stop: (descriptor) => stopStream(descriptor),
  };
}
