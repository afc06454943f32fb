import { errorResponses, roomIdSchema, roomResponseSchema } from '@dpp/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpError } from '../lib/errors.ts';

/** The room over HTTP: a snapshot for its members (and the bot), for a first paint or a resync. */
const roomRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/rooms/:roomId',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['rooms'],
        summary: 'Snapshot of a room you are in',
        description:
          'The same snapshot the WebSocket welcome carries. Members only; the bot (service token) may read any room.',
        security: [{ session: [] }, { bot: [] }],
        params: z.object({ roomId: roomIdSchema }),
        response: { 200: roomResponseSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const { roomId } = request.params;
      const snapshot = await app.rooms.snapshot(roomId);
      const member = snapshot?.members.some((m) => m.userId === request.session.userId) ?? false;
      if (!member && request.session.via !== 'bot') {
        // Same answer whether the room exists or not: room ids are not for probing.
        throw new HttpError(403, 'not_a_member', 'Join the room first: only its members can see it.');
      }
      if (!snapshot) throw new HttpError(404, 'no_such_room', `Nobody is in ${roomId}.`);
      return { serverTime: Date.now(), snapshot };
    },
  );
};

export default roomRoutes;
