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

/** Up next in the caller's room: a room setting (the activity's menu has the same switch). */
async function upNext(interaction: ChatInputCommandInteraction<'cached'>, ctx: BotContext) {
  const on = interaction.options.getBoolean('on', true);
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const channel = callerVoiceChannel(interaction);
  if (!channel) {
    await interaction.editReply('Join the voice channel of the watch party first: Up next is a setting of its room.');
    return;
  }
  const actor = actorOf(interaction);
  const roomId = roomIdFor(interaction.guildId, channel.id);
  if (!(await ctx.api.room(actor, roomId))) {
    await interaction.editReply(`There is no watch party in 🔊 ${channel.name} yet. Start one with /play.`);
    return;
  }
  await ctx.api.command(actor, roomId, { op: 'settings', autoplayNext: on }, intentKey(interaction, 'settings'));
  await interaction.editReply(
    on
      ? `⏭️ Up next is on in 🔊 ${channel.name}: at an episode's credits the next one starts after a 10 s countdown.`
      : `⏹️ Up next is off in 🔊 ${channel.name}: episodes stop at their end.`,
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
    description: 'Who controls playback in watch parties, and Up next (Manage Server)',
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
        name: 'upnext',
        description: "Turn Up next (the next episode after a countdown) on or off in your voice channel's party",
        options: [
          {
            type: ApplicationCommandOptionType.Boolean,
            name: 'on',
            description: 'On: the next episode starts after the credits countdown',
            required: true,
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
    const subcommand = interaction.options.getSubcommand(true);
    if (subcommand === 'control') await control(interaction, ctx);
    else if (subcommand === 'upnext') await upNext(interaction, ctx);
    else await djRole(interaction, ctx);
  },
} satisfies Command;
