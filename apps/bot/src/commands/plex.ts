import {
  ActionRowBuilder,
  ApplicationCommandOptionType,
  ApplicationIntegrationType,
  ButtonBuilder,
  ButtonStyle,
  type ChatInputCommandInteraction,
  EmbedBuilder,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord.js';
import type { Command } from '../command.ts';
import type { BotContext } from '../context.ts';
import { delay } from '../delay.ts';
import { ServerUnreachableError } from '../errors.ts';
import { truncate } from '../replies.ts';
import { actorOf } from '../rooms.ts';

const SOURCE = {
  guild: 'a Plex server linked to this Discord server',
  global: 'the Plex server configured for every Discord server (PLEX_URL)',
  demo: 'the built-in demo library (no Plex server linked yet)',
} as const;

/** Discord keeps an interaction's token for 15 minutes: stop polling a little before. */
const TOKEN_LIFETIME_MS = 14 * 60_000;

async function status(interaction: ChatInputCommandInteraction<'cached'>, ctx: BotContext) {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const plex = await ctx.api.plexStatus(actorOf(interaction), interaction.guildId);
  const embed = new EmbedBuilder()
    .setColor(0xe5a00d)
    .setTitle('Plex')
    .setDescription(`Playing from ${SOURCE[plex.source]}.`);
  if (plex.server) {
    embed.addFields(
      { name: 'Server', value: truncate(plex.server.name, 1024), inline: true },
      { name: 'Status', value: plex.server.reachable ? '✅ reachable' : '❌ not answering', inline: true },
    );
    if (plex.server.version) embed.addFields({ name: 'Version', value: plex.server.version, inline: true });
    if (plex.server.libraries.length > 0) {
      embed.addFields({
        name: 'Libraries',
        value: truncate(plex.server.libraries.map((l) => `• ${l.title} (${l.type})`).join('\n'), 1024),
      });
    }
  }
  if (plex.source !== 'guild') embed.setFooter({ text: 'Link your own Plex server with /plex link.' });
  await interaction.editReply({ embeds: [embed] });
}

async function link(interaction: ChatInputCommandInteraction<'cached'>, ctx: BotContext) {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const actor = actorOf(interaction);
  const pin = await ctx.api.plexLink(actor, interaction.guildId);
  const pinExpiry = Date.parse(pin.expiresAt);
  const giveUpAt = Math.min(
    Number.isNaN(pinExpiry) ? Number.POSITIVE_INFINITY : pinExpiry,
    interaction.createdTimestamp + TOKEN_LIFETIME_MS,
  );
  await interaction.editReply({
    embeds: [
      new EmbedBuilder()
        .setColor(0xe5a00d)
        .setTitle('Link a Plex server')
        .setDescription(
          [
            `1. Click **Sign in with Plex** and approve the code **${pin.code}**.`,
            '2. Come back here: I will pick your Plex server for this Discord server.',
            `This code expires <t:${Math.floor(giveUpAt / 1000)}:R>.`,
          ].join('\n'),
        ),
    ],
    components: [
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder().setStyle(ButtonStyle.Link).setURL(pin.linkUrl).setLabel('Sign in with Plex'),
      ),
    ],
  });

  const finish = (content: string) => interaction.editReply({ content, embeds: [], components: [] });
  while (ctx.clock.now() < giveUpAt) {
    if (!(await delay(ctx.clock, ctx.tuning.plexPollIntervalMs, ctx.signal))) return; // the bot is shutting down
    let state: Awaited<ReturnType<typeof ctx.api.plexPin>>;
    try {
      state = await ctx.api.plexPin(actor, interaction.guildId, pin.id);
    } catch (error) {
      if (error instanceof ServerUnreachableError) continue; // keep waiting; the server may come back
      throw error;
    }
    switch (state.status) {
      case 'pending':
        continue;
      case 'linked':
        await finish(`✅ Linked **${state.server?.name ?? 'your Plex server'}**. \`/play\` now searches it.`);
        return;
      case 'no_server':
        await finish(
          '⚠️ You signed in, but I found no Plex server on that account that I can reach. Check that it is running and allows remote access, then try `/plex link` again.',
        );
        return;
      case 'expired':
        await finish('⌛ The code expired before it was approved. Run `/plex link` again.');
        return;
    }
  }
  await finish('⌛ The code expired before it was approved. Run `/plex link` again.');
}

async function unlink(interaction: ChatInputCommandInteraction<'cached'>, ctx: BotContext) {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const { unlinked } = await ctx.api.plexUnlink(actorOf(interaction), interaction.guildId);
  await interaction.editReply(
    unlinked
      ? '🔌 Unlinked. This Discord server now plays from the default library; link another with `/plex link`.'
      : 'No Plex server was linked to this Discord server.',
  );
}

export default {
  data: {
    name: 'plex',
    description: 'Link this Discord server to a Plex server (Manage Server)',
    default_member_permissions: String(PermissionFlagsBits.ManageGuild),
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
    options: [
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: 'link',
        description: 'Sign in with Plex and link your server',
      },
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: 'status',
        description: 'Which Plex server /play uses, and whether it answers',
      },
      { type: ApplicationCommandOptionType.Subcommand, name: 'unlink', description: 'Forget the linked Plex server' },
    ],
  },
  async execute(interaction, ctx) {
    const sub = interaction.options.getSubcommand(true);
    if (sub === 'link') await link(interaction, ctx);
    else if (sub === 'status') await status(interaction, ctx);
    else await unlink(interaction, ctx);
  },
} satisfies Command;
