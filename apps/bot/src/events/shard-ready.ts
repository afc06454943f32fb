import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';

/**
 * Every new gateway session (the first one, and any after Discord refused a resume): the server
 * learns who is in which voice channel now, whatever it missed while the bot was away, and the bot
 * follows each guild's new rooms.
 */
export default {
  name: Events.ShardReady,
  async execute(ctx, shardId) {
    const guilds = ctx.client.guilds.cache.filter((guild) => guild.shardId === shardId);
    for (const guild of guilds.values()) ctx.voice.watchGuild(guild);
    await Promise.all(guilds.map((guild) => ctx.voice.syncGuild(guild)));
  },
} satisfies BotEvent<Events.ShardReady>;
