import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';

/** discord.js reports connection problems here; it reconnects on its own. */
export default {
  name: Events.Error,
  execute(ctx, error) {
    ctx.log.error({ err: error }, 'Discord client error');
  },
} satisfies BotEvent<Events.Error>;
