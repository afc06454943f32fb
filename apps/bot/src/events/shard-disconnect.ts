import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';

/** The gateway closed for good (bad token, disallowed intents): nothing reconnects after this. */
export default {
  name: Events.ShardDisconnect,
  execute(ctx, event, shardId) {
    ctx.log.fatal({ code: event.code, shardId }, 'disconnected from Discord and not reconnecting');
  },
} satisfies BotEvent<Events.ShardDisconnect>;
