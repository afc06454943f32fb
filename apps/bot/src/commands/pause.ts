import { formatTime } from '@dpp/shared';
import { ApplicationIntegrationType, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import { roomAction } from '../room-action.ts';

export default {
  data: {
    name: 'pause',
    description: 'Pause the watch party in your voice channel',
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
  async execute(interaction, ctx) {
    await roomAction(
      interaction,
      ctx,
      { op: 'pause' },
      (room) => `⏸️ ${interaction.member.displayName} paused at ${formatTime(room.snapshot.playback.positionMs)}.`,
    );
  },
} satisfies Command;
