import { roomIdFor } from '@dpp/shared';
import {
  ApplicationCommandOptionType,
  ApplicationIntegrationType,
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord.js';
import type { Command } from '../command.ts';
import type { BotContext } from '../context.ts';
import { actorOf, callerVoiceChannel, intentKey } from '../rooms.ts';

const HOSTS = 'whoever started the room, members with the DJ role, and members with Manage Server';

async function control(interaction: ChatInputCommandInteraction<'cached'>, ctx: BotContext) {
  const mode = interaction.options.getString('mode', true) === 'hosts' ? 'hosts' : 'everyone';
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const actor = actorOf(interaction);
  await ctx.api.updateGuildSettings(actor, interaction.guildId, { control: mode });
  // The guild setting applies to new rooms; the room the admin is in changes now too.
  let also = '';
  const channel = callerVoiceChannel(interaction);
  if (channel) {
    const roomId = roomIdFor(interaction.guildId, channel.id);
    if (await ctx.api.room(actor, roomId)) {
      await ctx.api.command(actor, roomId, { op: 'settings', control: mode }, intentKey(interaction, 'settings'));
      also = ` The watch party in 🔊 ${channel.name} changed too.`;
    }
  }
  await interaction.editReply(
    mode === 'hosts'
      ? `🎛️ Only hosts control playback now: ${HOSTS}.${also}`
      : `🎛️ Everyone in the voice channel controls playback now.${also}`,
  );
}

async function djRole(interaction: ChatInputCommandInteraction<'cached'>, ctx: BotContext) {
  const role = interaction.options.getRole('role');
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  await ctx.api.updateGuildSettings(actorOf(interaction), interaction.guildId, { djRoleId: role?.id ?? null });
  await interaction.editReply(
    role
      ? `🎧 Members with <@&${role.id}> are hosts in every watch party: they can control playback when control is set to hosts.`
      : '🎧 DJ role cleared.',
  );
}

export default {
  data: {
    name: 'settings',
    description: 'Who controls playback in watch parties (Manage Server)',
    default_member_permissions: String(PermissionFlagsBits.ManageGuild),
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
    options: [
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: 'control',
        description: 'Let everyone control playback, or hosts only',
        options: [
          {
            type: ApplicationCommandOptionType.String,
            name: 'mode',
            description: 'Who may play, pause, seek and skip',
            required: true,
            choices: [
              { name: 'Everyone in the voice channel', value: 'everyone' },
              { name: 'Hosts only (room creator, DJ role, Manage Server)', value: 'hosts' },
            ],
          },
        ],
      },
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: 'dj-role',
        description: 'Members with this role are hosts; leave empty to clear',
        options: [{ type: ApplicationCommandOptionType.Role, name: 'role', description: 'The DJ role' }],
      },
    ],
  },
  async execute(interaction, ctx) {
    if (interaction.options.getSubcommand(true) === 'control') await control(interaction, ctx);
    else await djRole(interaction, ctx);
  },
} satisfies Command;
