import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';

/**
 * Every new gateway session (the first one, and any after Discord refused a resume): the server
 * learns who is in which voice channel now, whatever it missed while the bot was away.
 */
export default {
  name: Events.ShardReady,
  async execute(ctx, shardId) {
    const guilds = ctx.client.guilds.cache.filter((guild) => guild.shardId === shardId);
    await Promise.all(guilds.map((guild) => ctx.voice.syncGuild(guild)));
  },
} satisfies BotEvent<Events.ShardReady>;
