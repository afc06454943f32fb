import { roomIdFor } from '@dpp/shared';
import { ApplicationIntegrationType, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import { actorOf, intentKey, requireVoiceChannel } from '../rooms.ts';

export default {
  data: {
    name: 'stop',
    description: 'End the watch party in your voice channel',
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
  async execute(interaction, ctx) {
    const channel = requireVoiceChannel(interaction, 'the watch party is the room of your voice channel.');
    await interaction.deferReply();
    const roomId = roomIdFor(interaction.guildId, channel.id);
    const { ended } = await ctx.api.endRoom(actorOf(interaction), roomId, 'stop', intentKey(interaction, 'end'));
    await interaction.editReply(
      ended
        ? `⏹️ ${interaction.member.displayName} ended the watch party in 🔊 ${channel.name}.`
        : `Nothing was playing in 🔊 ${channel.name}.`,
    );
  },
} satisfies Command;
