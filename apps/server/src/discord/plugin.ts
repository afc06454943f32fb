import fp from 'fastify-plugin';
import { findUser } from '../auth/users.ts';
import { DiscordClient } from './discord-client.ts';
import { GuildPowers } from './guild-powers.ts';
import { instanceCheck } from './instance-check.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Discord's REST API and the activity-instance check of `hello`; undefined in dev auth mode
     * (no Discord credentials configured).
     */
    discord:
      | {
          client: DiscordClient;
          authorizeJoin: (user: { userId: string }, roomId: string, instanceId: string | undefined) => Promise<boolean>;
          /** Guild-level powers (Manage Server, roles) of a Discord user, read with the bot token. */
          powers: GuildPowers;
        }
      | undefined;
  }
}

export default fp(
  async (app) => {
    const config = app.config.discord;
    if (!config) {
      app.decorate('discord', undefined);
      return;
    }
    const client = new DiscordClient(config);
    const authorizeJoin = instanceCheck({
      client,
      cache: app.cache,
      discordIdOf: async (userId) => (await findUser(app.database.db, userId))?.discordId,
    });
    app.decorate('discord', { client, authorizeJoin, powers: new GuildPowers(client, app.cache) });
  },
  { name: 'discord', dependencies: ['config', 'database', 'infra'] },
);
