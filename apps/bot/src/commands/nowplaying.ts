import type { RoomResponse } from '@dpp/shared';
import { parseRoomId, roomIdFor } from '@dpp/shared';
import { ApplicationIntegrationType, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import type { BotContext } from '../context.ts';
import { UserFacingError } from '../errors.ts';
import { nowPlayingMessage, parseButtonId } from '../now-playing.ts';
import { nothingPlaying } from '../room-action.ts';
import { actorOf, intentKey, requireVoiceChannel } from '../rooms.ts';

export default {
  data: {
    name: 'nowplaying',
    description: 'Show what is playing in your voice channel, with pause and skip buttons',
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },

  async execute(interaction, ctx) {
    const channel = requireVoiceChannel(interaction, 'the watch party is the room of your voice channel.');
    await interaction.deferReply();
    const roomId = roomIdFor(interaction.guildId, channel.id);
    const room = await ctx.api.room(actorOf(interaction), roomId);
    if (!room?.snapshot.playback.itemId) throw nothingPlaying(channel);
    const message = await interaction.editReply(
      nowPlayingMessage({ room, channelName: channel.name, publicUrl: ctx.config.publicUrl }),
    );
    // From now on the message follows the room.
    follow(ctx, roomId, message, interaction, room);
  },

  /** Pause/resume and skip on a now-playing message: the presser acts, under the room's rules. */
  async button(interaction, ctx) {
    const parsed = parseButtonId(interaction.customId);
    const where = parsed ? parseRoomId(parsed.roomId) : null;
    if (!parsed || !where || where.guildId !== interaction.guildId) {
      throw new UserFacingError('This button is out of date. Run `/nowplaying` again.');
    }
    const actor = actorOf(interaction);
    await interaction.deferUpdate();
    let command: 'play' | 'pause' | 'next' = 'next';
    if (parsed.action === 'toggle') {
      const room = await ctx.api.room(actor, parsed.roomId);
      if (!room?.snapshot.playback.itemId) throw new UserFacingError('Nothing is playing there any more.');
      command = room.snapshot.playback.status === 'playing' ? 'pause' : 'play';
    }
    const room = await ctx.api.command(actor, parsed.roomId, { op: command }, intentKey(interaction, command));
    const channelName = interaction.guild.channels.cache.get(where.channelId)?.name ?? 'voice channel';
    const message = await interaction.editReply(
      nowPlayingMessage({ room, channelName, publicUrl: ctx.config.publicUrl }),
    );
    // The press's token is fresh for another 15 minutes of webhook edits.
    follow(ctx, parsed.roomId, message, interaction, room);
  },
} satisfies Command;

/** Registers a now-playing message to be edited as its room changes, through this interaction's token. */
function follow(
  ctx: BotContext,
  roomId: string,
  message: { id: string; channelId: string },
  interaction: { token: string; createdTimestamp: number },
  shown: RoomResponse,
): void {
  ctx.nowPlaying.track({
    roomId,
    messageId: message.id,
    channelId: message.channelId,
    interactionToken: interaction.token,
    interactionCreatedAt: interaction.createdTimestamp,
    shown,
  });
}
