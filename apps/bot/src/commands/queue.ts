import { parseRoomId, roomIdFor } from '@dpp/shared';
import { ApplicationIntegrationType, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import { ServerApiError, UserFacingError } from '../errors.ts';
import { parseQueueButton, queueMessage } from '../queue-message.ts';
import { nothingPlaying } from '../room-action.ts';
import { actorOf, intentKey, requireVoiceChannel } from '../rooms.ts';

export default {
  data: {
    name: 'queue',
    description: 'Show what is playing and what comes next in your voice channel, with skip and remove buttons',
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
  async execute(interaction, ctx) {
    const channel = requireVoiceChannel(interaction, 'the queue belongs to the watch party of your voice channel.');
    await interaction.deferReply();
    const room = await ctx.api.room(actorOf(interaction), roomIdFor(interaction.guildId, channel.id));
    if (!room || room.snapshot.queue.length === 0) throw nothingPlaying(channel);
    await interaction.editReply(queueMessage(room, channel.name));
  },

  /** Skip and Remove on a /queue message: the presser acts, under the room's rules; the message follows. */
  async button(interaction, ctx) {
    const button = parseQueueButton(interaction.customId);
    const where = button ? parseRoomId(button.roomId) : null;
    if (!button || !where || where.guildId !== interaction.guildId) {
      throw new UserFacingError('This button is out of date. Run `/queue` again.');
    }
    await interaction.deferUpdate();
    const intent =
      button.action === 'skip' ? ({ op: 'next' } as const) : ({ op: 'queue.remove', entryId: button.entryId } as const);
    let room: Awaited<ReturnType<typeof ctx.api.command>>;
    try {
      room = await ctx.api.command(actorOf(interaction), button.roomId, intent, intentKey(interaction, intent.op));
    } catch (error) {
      if (error instanceof ServerApiError && error.code === 'unknown_entry') {
        throw new UserFacingError('That entry has already left the queue.');
      }
      throw error;
    }
    const channelName = interaction.guild.channels.cache.get(where.channelId)?.name ?? 'voice channel';
    await interaction.editReply(queueMessage(room, channelName));
  },
} satisfies Command;
