import { ApplicationIntegrationType, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import { currentTitle, roomAction } from '../room-action.ts';

export default {
  data: {
    name: 'skip',
    description: 'Skip to the next item in the queue',
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
  async execute(interaction, ctx) {
    await roomAction(interaction, ctx, { op: 'next' }, (room) => {
      const next = currentTitle(room);
      return next
        ? `⏭️ ${interaction.member.displayName} skipped. Now playing: **${next}**.`
        : `⏹️ ${interaction.member.displayName} skipped; the queue is empty. Add something with \`/play\`.`;
    });
  },
} satisfies Command;
