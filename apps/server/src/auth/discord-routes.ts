import { discordAuthRequestSchema, discordAuthResponseSchema, errorResponses } from '@dpp/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DiscordCodeRejectedError, DiscordUnreachableError } from '../discord/discord-client.ts';
import { HttpError } from '../lib/errors.ts';
import { upsertUser } from './users.ts';

/** Maps a Discord failure to the caller's error; the details (never a secret) go to the log. */
function discordFailure(error: unknown): HttpError {
  if (error instanceof DiscordCodeRejectedError) {
    return new HttpError(401, 'discord_code_rejected', 'Discord did not accept this sign-in; authorize again.');
  }
  if (error instanceof DiscordUnreachableError) {
    return new HttpError(502, 'discord_unreachable', 'Discord could not be reached; try again shortly.');
  }
  return new HttpError(502, 'discord_error', 'Discord refused the sign-in; try again later.');
}

/** Activity sign-in (DESIGN section 4): the SDK's `authorize` code for our session and Discord's access token. */
const discordAuthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/auth/discord',
    {
      schema: {
        tags: ['auth'],
        summary: 'Discord sign-in: exchange the Embedded App SDK authorize code for a session',
        body: discordAuthRequestSchema,
        response: {
          200: discordAuthResponseSchema,
          ...errorResponses(400, 401, 501, 502),
        },
      },
    },
    async (request) => {
      const discord = app.discord;
      if (!discord) {
        throw new HttpError(
          501,
          'discord_auth_disabled',
          'Discord sign-in is off: this server has no Discord credentials (dev auth mode); use POST /api/auth/dev.',
        );
      }
      let grant: Awaited<ReturnType<typeof discord.client.exchangeCode>>;
      let profile: Awaited<ReturnType<typeof discord.client.currentUser>>;
      try {
        grant = await discord.client.exchangeCode(request.body.code);
        profile = await discord.client.currentUser(grant.accessToken);
      } catch (error) {
        const failure = discordFailure(error);
        request.log.warn({ err: error, status: failure.statusCode }, 'discord sign-in failed');
        throw failure;
      }
      const user = await upsertUser(app.database.db, {
        discordId: profile.id,
        name: profile.name,
        avatar: profile.avatar,
      });
      const { token, expiresAt } = app.sessions.sign({
        userId: user.id,
        discordId: user.discordId,
        name: user.name,
        avatar: user.avatar,
      });
      return { token, user, expiresAt: new Date(expiresAt).toISOString(), accessToken: grant.accessToken };
    },
  );
};

export default discordAuthRoutes;
