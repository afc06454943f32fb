/**
 * `GET /api/bot/rooms/:roomId/events`: the room as it changes, as Server-Sent Events, for the bot's
 * now-playing messages. It follows the room's broadcasts on the EventBus (so a change made on any
 * instance arrives, Redis or not), keeps a mirror of the room from the snapshot and the state frames,
 * and sends the whole room after each change. A frame it cannot place (a gap, a new epoch, the bus
 * reconnected) makes it re-read the room instead: nothing is silently lost.
 */
import {
  applyState,
  BOT_API_ERRORS,
  BOT_ROOM_EVENTS,
  BOT_ROOM_EVENTS_KEEPALIVE_MS,
  BOT_ROOM_EVENTS_PATH,
  type BotRoomEnded,
  botRoomParamsSchema,
  type RoomResponse,
  type RoomSnapshot,
  type StateMessage,
} from '@dpp/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpError } from '../lib/errors.ts';
import { requireBot } from './guild-rules.ts';

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const botRoomEventRoutes: FastifyPluginAsyncZod = async (app) => {
  /** Open streams, ended before the server closes so it is not held open by them. */
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    BOT_ROOM_EVENTS_PATH,
    {
      preHandler: [app.requireSession, requireBot],
      schema: {
        tags: ['bot'],
        summary: 'The room as it changes (Server-Sent Events: `room`, then `ended`)',
        security: [{ bot: [] }],
        params: botRoomParamsSchema,
        response: { 401: errorSchema, 403: errorSchema, 404: errorSchema },
      },
    },
    async (request, reply) => {
      const { roomId } = request.params;
      let mirror: RoomSnapshot | undefined;
      let epoch: string | undefined;
      let closed = false;
      // Frames, resyncs and the end are handled one at a time, in arrival order.
      let chain = Promise.resolve();
      const later = (work: () => Promise<void> | void) => {
        chain = chain.then(work).catch((error: unknown) => {
          request.log.warn({ err: error, roomId }, 'room event feed failed; closing it');
          end();
        });
      };

      const send = (event: string, data: RoomResponse | BotRoomEnded) => {
        if (!closed) reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const sendRoom = () => {
        if (mirror) send(BOT_ROOM_EVENTS.room, { serverTime: Date.now(), snapshot: mirror });
      };
      const ended = () => {
        send(BOT_ROOM_EVENTS.ended, { roomId });
        end();
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

      // Frames that arrive while the first snapshot is read wait for it (those it holds are skipped).
      let early: [StateMessage, string][] | undefined = [];
      const unfollow = await app.rooms.follow(roomId, {
        state: (frame, frameEpoch) => {
          if (early) early.push([frame, frameEpoch]);
          else later(() => onFrame(frame, frameEpoch));
        },
        resync: () => later(resync),
      });
      app.rooms.events.on('empty', onEmpty);
      let keepAlive: NodeJS.Timeout | undefined;
      function end() {
        if (closed) return;
        closed = true;
        open.delete(end);
        clearInterval(keepAlive);
        app.rooms.events.off('empty', onEmpty);
        void unfollow().catch((error: unknown) => request.log.warn({ err: error, roomId }, 'unsubscribe failed'));
        if (reply.sent || reply.raw.headersSent) reply.raw.end();
      }

      // Subscribed first, then read: whatever changes from here on arrives as a frame.
      mirror = await app.rooms.snapshot(roomId).catch((error: unknown) => {
        end();
        throw error;
      });
      if (!mirror) {
        end();
        throw new HttpError(404, BOT_API_ERRORS.noRoom, 'No watch party in that voice channel.');
      }
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      open.add(end);
      // The response's close, not the request's: a GET's request "closes" once it has been read.
      reply.raw.on('close', end);
      keepAlive = setInterval(() => {
        if (!closed) reply.raw.write(': keep-alive\n\n');
      }, BOT_ROOM_EVENTS_KEEPALIVE_MS);
      keepAlive.unref();
      later(sendRoom);
      for (const [frame, frameEpoch] of early) later(() => onFrame(frame, frameEpoch));
      early = undefined;
    },
  );
};
