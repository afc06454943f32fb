import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';

export default {
  name: Events.ShardResume,
  execute(ctx, shardId, replayedEvents) {
    ctx.log.info({ shardId, replayedEvents }, 'gateway session resumed');
  },
} satisfies BotEvent<Events.ShardResume>;
