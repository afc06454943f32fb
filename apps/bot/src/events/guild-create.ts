import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';

/** Added to a new guild (or one came back from an outage): tell the server who is in voice there. */
export default {
  name: Events.GuildCreate,
  async execute(ctx, guild) {
    ctx.log.info({ guildId: guild.id, name: guild.name }, 'guild available');
    ctx.voice.watchGuild(guild);
    await ctx.voice.syncGuild(guild);
  },
} satisfies BotEvent<Events.GuildCreate>;
