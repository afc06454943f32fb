import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';

export default {
  name: Events.ClientReady,
  once: true,
  execute(ctx, client) {
    ctx.log.info({ user: client.user.tag, guilds: client.guilds.cache.size }, 'connected to Discord');
  },
} satisfies BotEvent<Events.ClientReady>;
