import { ApplicationIntegrationType, EmbedBuilder, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import { truncate } from '../replies.ts';
import { actorOf } from '../rooms.ts';

export default {
  data: {
    name: 'history',
    description: 'What this server watched recently',
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
  async execute(interaction, ctx) {
    await interaction.deferReply();
    const { items } = await ctx.api.history(actorOf(interaction), interaction.guildId, 10);
    const embed = new EmbedBuilder().setColor(0xe5a00d).setTitle('Recently watched');
    if (items.length === 0) {
      embed.setDescription('Nothing yet. Start a watch party with `/play`.');
    } else {
      const lines = items.map((item) => {
        const at = Math.round(Date.parse(item.startedAt) / 1000);
        return `• **${truncate(item.title, 100)}** in <#${item.channelId}> <t:${at}:R>`;
      });
      embed.setDescription(truncate(lines.join('\n'), 4000));
    }
    await interaction.editReply({ embeds: [embed] });
  },
} satisfies Command;
