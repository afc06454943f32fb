import { ApplicationIntegrationType, EmbedBuilder, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import { joinRow, manualJoinHint } from '../replies.ts';
import { requireVoiceChannel } from '../rooms.ts';

export default {
  data: {
    name: 'watch',
    description: 'Open the watch party (the Plex Player activity) in your voice channel',
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
  async execute(interaction, ctx) {
    const channel = requireVoiceChannel(interaction, 'the activity opens in your voice channel, for everyone in it.');
    await interaction.deferReply();
    const invite = await ctx.invites.forChannel(channel);
    const embed = new EmbedBuilder()
      .setColor(0xe5a00d)
      .setTitle(`🍿 Watch party in 🔊 ${channel.name}`)
      .setDescription(
        invite
          ? 'Click the button to open Plex Player in the voice channel. Everyone there watches in sync.'
          : manualJoinHint(channel),
      );
    await interaction.editReply({ embeds: [embed], components: joinRow(invite) });
  },
} satisfies Command;
