import { ApplicationIntegrationType, EmbedBuilder, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import { launchForCaller } from '../launch.ts';
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
    // The caller's activity opens at once where Discord allows it; the others get the button.
    const launched = await launchForCaller(interaction, ctx.log);
    if (!launched) await interaction.deferReply();
    const invite = await ctx.invites.forChannel(channel);
    const embed = new EmbedBuilder()
      .setColor(0xe5a00d)
      .setTitle(`🍿 Watch party in 🔊 ${channel.name}`)
      .setDescription(
        [
          launched ? `${interaction.member.displayName} opened Plex Player.` : null,
          invite
            ? 'Click the button to open Plex Player in the voice channel. Everyone there watches in sync.'
            : manualJoinHint(channel),
        ]
          .filter(Boolean)
          .join(' '),
      );
    const reply = { embeds: [embed], components: joinRow(invite) };
    if (launched) await interaction.followUp(reply);
    else await interaction.editReply(reply);
  },
} satisfies Command;
