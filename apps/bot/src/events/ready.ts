import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';

export default {
  name: Events.ClientReady,
  once: true,
  async execute(ctx, client) {
    ctx.log.info({ user: client.user.tag, guilds: client.guilds.cache.size }, 'connected to Discord');
    // The server learns who is in which voice channel now, whatever it missed while the bot was away.
    await Promise.all(client.guilds.cache.map((guild) => ctx.voice.syncGuild(guild)));
  },
} satisfies BotEvent<Events.ClientReady>;
