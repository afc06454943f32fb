import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';

/** Removed from a guild (or it became unavailable): stop following its new rooms. */
export default {
  name: Events.GuildDelete,
  async execute(ctx, guild) {
    ctx.log.info({ guildId: guild.id, available: guild.available }, 'guild gone');
    await ctx.voice.unwatchGuild(guild.id);
  },
} satisfies BotEvent<Events.GuildDelete>;
