/**
 * The bot's event feeds (Server-Sent Events, bot token only):
 * - `GET /api/bot/rooms/:roomId/events`: the room as it changes, for now-playing messages. It follows
 *   the room's broadcasts on the EventBus (a change made on any instance arrives, Redis or not),
 *   keeps a mirror of the room from the snapshot and the state frames, and sends the whole room
 *   after each change. A frame it cannot place (a gap, a new epoch, the bus reconnected) makes it
 *   re-read the room instead: nothing is silently lost. `ended` when the room ends.
 * - `GET /api/bot/guilds/:guildId/events`: `created` for each new room of the guild, so the bot can
 *   say who is already in that voice channel.
 */
import {
  applyState,
  BOT_API_ERRORS,
  BOT_GUILD_EVENTS,
  BOT_GUILD_EVENTS_PATH,
  BOT_ROOM_EVENTS,
  BOT_ROOM_EVENTS_PATH,
  type BotRoomCreated,
  type BotRoomEnded,
  botGuildParamsSchema,
  botRoomParamsSchema,
  errorResponses,
  type RoomResponse,
  type RoomSnapshot,
  type StateMessage,
} from '@dpp/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HttpError } from '../lib/errors.ts';
import { type EventStream, startEventStream } from './event-stream.ts';
import { requireBot } from './guild-rules.ts';

const errors = errorResponses(401, 403, 404);

export const botRoomEventRoutes: FastifyPluginAsyncZod = async (app) => {
  /** Open streams, ended before the server closes so that they do not hold it open. */
  const open = new Set<EventStream>();
  app.addHook('preClose', async () => {
    for (const stream of [...open]) stream.end();
  });
  const preHandler = [app.requireSession, requireBot];

  app.get(
    BOT_ROOM_EVENTS_PATH,
    {
      preHandler,
      schema: {
        tags: ['bot'],
        summary: 'The room as it changes (Server-Sent Events: `room`, then `ended`)',
        security: [{ bot: [] }],
        params: botRoomParamsSchema,
        response: errors,
      },
    },
    async (request, reply) => {
      const { roomId } = request.params;
      let stream: EventStream | undefined;
      let mirror: RoomSnapshot | undefined;
      let epoch: string | undefined;
      let stopped = false;
      // Frames, resyncs and the end are handled one at a time, in arrival order.
      let chain = Promise.resolve();
      const later = (work: () => Promise<void> | void) => {
        chain = chain.then(work).catch((error: unknown) => {
          request.log.warn({ err: error, roomId }, 'room event feed failed; closing it');
          stream?.end();
        });
      };

      const sendRoom = () => {
        if (mirror)
          stream?.send(BOT_ROOM_EVENTS.room, { serverTime: Date.now(), snapshot: mirror } satisfies RoomResponse);
      };
      const ended = () => {
        stream?.send(BOT_ROOM_EVENTS.ended, { roomId } satisfies BotRoomEnded);
        stream?.end();
      };
      const resync = async () => {
        mirror = await app.rooms.snapshot(roomId);
        epoch = undefined;
        if (mirror) sendRoom();
        else ended();
      };
      const onFrame = async (frame: StateMessage, frameEpoch: string) => {
        if (!mirror) return;
        if (epoch !== undefined && frameEpoch !== epoch) return resync();
        if (frame.seq <= mirror.seq) return; // already in the snapshot
        if (frame.seq !== mirror.seq + 1) return resync();
        epoch = frameEpoch;
        mirror = applyState(mirror, frame);
        sendRoom();
      };
      const onEmpty = (id: string) => {
        if (id === roomId) later(ended);
      };

      // Subscribed first, then read: whatever changes from here on arrives as a frame. Frames that
      // arrive while the first snapshot is read wait for it (those it already holds are skipped).
      let early: [StateMessage, string][] | undefined = [];
      const unfollow = await app.rooms.follow(roomId, {
        state: (frame, frameEpoch) => {
          if (early) early.push([frame, frameEpoch]);
          else later(() => onFrame(frame, frameEpoch));
        },
        resync: () => later(resync),
      });
      app.rooms.events.on('empty', onEmpty);
      const stop = () => {
        if (stopped) return;
        stopped = true;
        app.rooms.events.off('empty', onEmpty);
        void unfollow().catch((error: unknown) => request.log.warn({ err: error, roomId }, 'unsubscribe failed'));
      };

      try {
        mirror = await app.rooms.snapshot(roomId);
      } catch (error) {
        stop();
        throw error;
      }
      if (!mirror) {
        stop();
        throw new HttpError(404, BOT_API_ERRORS.noRoom, 'No watch party in that voice channel.');
      }
      const started = startEventStream(reply, () => {
        open.delete(started);
        stop();
      });
      stream = started;
      open.add(started);
      later(sendRoom);
      for (const [frame, frameEpoch] of early) later(() => onFrame(frame, frameEpoch));
      early = undefined;
    },
  );

  app.get(
    BOT_GUILD_EVENTS_PATH,
    {
      preHandler,
      schema: {
        tags: ['bot'],
        summary: 'New rooms of the guild (Server-Sent Events: `created`)',
        security: [{ bot: [] }],
        params: botGuildParamsSchema,
        response: errors,
      },
    },
    async (request, reply) => {
      const prefix = `${request.params.guildId}:`;
      const onCreated = (roomId: string) => {
        if (roomId.startsWith(prefix)) stream.send(BOT_GUILD_EVENTS.created, { roomId } satisfies BotRoomCreated);
      };
      const stream = startEventStream(reply, () => {
        open.delete(stream);
        app.rooms.events.off('created', onCreated);
      });
      open.add(stream);
      app.rooms.events.on('created', onCreated);
      stream.send(BOT_GUILD_EVENTS.ready, {});
    },
  );
};
