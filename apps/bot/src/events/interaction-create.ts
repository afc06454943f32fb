import { Events } from 'discord.js';
import type { BotEvent } from '../bot-event.ts';
import { handleInteraction } from '../dispatch.ts';

export default {
  name: Events.InteractionCreate,
  async execute(ctx, interaction) {
    await handleInteraction(interaction, ctx);
  },
} satisfies BotEvent<Events.InteractionCreate>;
