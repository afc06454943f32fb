import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';

export default {
  name: Events.VoiceStateUpdate,
  async execute(ctx, before, after) {
    await ctx.voice.onVoiceStateUpdate(before, after);
  },
} satisfies BotEvent<Events.VoiceStateUpdate>;
