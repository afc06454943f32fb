import {
  createPinRequestSchema,
  errorResponses,
  linkServerRequestSchema,
  plexPinSchema,
  plexPinStatusSchema,
  plexServersQuerySchema,
  plexServersResponseSchema,
  storedServerSchema,
} from '@dpp/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpError } from '../lib/errors.ts';
import { assertCanAdminGuild } from './admin.ts';
import type { StoredServer } from './server-store.ts';

const errors = errorResponses(400, 401, 403, 404, 409, 502);
const security: Array<Record<string, string[]>> = [{ session: [] }, { bot: [] }];
const pinParams = z.object({ id: z.string().regex(/^\d{1,15}$/) });

const serverDto = (server: StoredServer) => ({
  id: server.id,
  name: server.name,
  machineIdentifier: server.machineId,
  guildId: server.guildId,
  linkedAt: server.updatedAt.toISOString(),
});

/** Plex sign-in for admins (DESIGN 4a): PIN, discovery, choose and store, forget. No token ever leaves. */
const plexRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/plex/pins',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['plex'],
        summary: 'Start Plex sign-in: a PIN the admin approves on plex.tv',
        security,
        body: createPinRequestSchema.nullish(),
        response: { 200: plexPinSchema, ...errors },
      },
    },
    async (request) => {
      await assertCanAdminGuild(app, request.session, request.body?.guildId);
      return app.plex.linking.createPin(request.session.userId);
    },
  );

  app.get(
    '/api/plex/pins/:id',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['plex'],
        summary: 'Poll a PIN: pending, linked (the account token stays on the server) or expired',
        security,
        params: pinParams,
        response: { 200: plexPinStatusSchema, ...errors },
      },
    },
    async (request) => app.plex.linking.pinStatus(request.session.userId, request.params.id),
  );

  app.get(
    '/api/plex/servers',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['plex'],
        summary: 'Stored servers, and with `pinId` the linked account’s servers (best connection each)',
        security,
        querystring: plexServersQuerySchema,
        response: { 200: plexServersResponseSchema, ...errors },
      },
    },
    async (request) => {
      const { pinId, guildId } = request.query;
      await assertCanAdminGuild(app, request.session, guildId);
      const stored = (await app.plex.servers.list(guildId)).map(serverDto);
      const discovered = pinId ? await app.plex.linking.servers(request.session.userId, pinId) : null;
      return { stored, discovered };
    },
  );

  app.post(
    '/api/plex/servers',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['plex'],
        summary: 'Use one of the linked account’s servers for a guild (or every guild)',
        security,
        body: linkServerRequestSchema,
        response: { 201: storedServerSchema, ...errors },
      },
    },
    async (request, reply) => {
      await assertCanAdminGuild(app, request.session, request.body.guildId);
      const server = await app.plex.linking.link(request.session.userId, request.body);
      request.log.info({ serverId: server.id, guildId: server.guildId }, 'plex server linked');
      return reply.code(201).send(serverDto(server));
    },
  );

  app.delete(
    '/api/plex/servers/:id',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['plex'],
        summary: 'Forget a stored server',
        security,
        params: z.object({ id: z.string().uuid() }),
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const server = await app.plex.servers.get(request.params.id);
      if (!server) throw new HttpError(404, 'not_found', 'There is no such Plex server.');
      await assertCanAdminGuild(app, request.session, server.guildId ?? undefined);
      await app.plex.servers.remove(server.id, request.session.userId);
      request.log.info({ serverId: server.id, guildId: server.guildId }, 'plex server unlinked');
      return reply.code(204).send(null);
    },
  );
};

export default plexRoutes;
