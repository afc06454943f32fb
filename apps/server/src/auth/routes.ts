import { devAuthRequestSchema, errorResponses, meResponseSchema, sessionResponseSchema } from '@dpp/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HttpError } from '../lib/errors.ts';
import { createGuest } from './users.ts';

/** Sign-in and "who am I". Discord sign-in (`POST /api/auth/discord`) joins these with the Discord issue. */
const authRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/auth/dev',
    {
      schema: {
        tags: ['auth'],
        summary: 'Dev sign-in: a guest session (only when no Discord credentials are configured)',
        body: devAuthRequestSchema,
        response: { 200: sessionResponseSchema, ...errorResponses(400, 403) },
      },
    },
    async (request) => {
      if (app.config.discord) {
        throw new HttpError(
          403,
          'dev_auth_disabled',
          'Guest sign-in is off: this server has Discord credentials configured, so sign in through Discord.',
        );
      }
      const user = await createGuest(app.database.db, request.body.name);
      const { token, expiresAt } = app.sessions.sign({
        userId: user.id,
        discordId: user.discordId,
        name: user.name,
        avatar: user.avatar,
      });
      return { token, user, expiresAt: new Date(expiresAt).toISOString() };
    },
  );

  app.get(
    '/api/me',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user',
        security: [{ session: [] }, { bot: [] }],
        response: { 200: meResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { userId, discordId, name, avatar, via } = request.session;
      return { user: { id: userId, discordId, name, avatar }, via };
    },
  );
};

export default authRoutes;
