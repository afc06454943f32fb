/** The shape of /pause, /resume, /skip, /seek: one room command in the caller's voice channel. */
import { BOT_API_ERRORS, type BotRoomCommand, type RoomResponse, roomIdFor } from '@dpp/shared';
import type { ChatInputCommandInteraction, VoiceBasedChannel } from 'discord.js';
import type { BotContext } from './context.ts';
import { ServerApiError, UserFacingError } from './errors.ts';
import { actorOf, intentKey, requireVoiceChannel } from './rooms.ts';

export const nothingPlaying = (channel: VoiceBasedChannel) =>
  new UserFacingError(`Nothing is playing in 🔊 ${channel.name}. Start something with \`/play\`.`);

/** Runs `intent` in the caller's room and answers with `describe(room)`. */
export async function roomAction(
  interaction: ChatInputCommandInteraction<'cached'>,
  ctx: BotContext,
  intent: BotRoomCommand | ((room: RoomResponse) => BotRoomCommand),
  describe: (room: RoomResponse, channel: VoiceBasedChannel) => string,
): Promise<void> {
  const channel = requireVoiceChannel(interaction, 'the watch party is the room of your voice channel.');
  const actor = actorOf(interaction);
  const roomId = roomIdFor(interaction.guildId, channel.id);
  await interaction.deferReply();
  try {
    let command: BotRoomCommand;
    if (typeof intent === 'function') {
      const room = await ctx.api.room(actor, roomId);
      if (!room?.snapshot.playback.itemId) throw nothingPlaying(channel);
      command = intent(room);
    } else {
      command = intent;
    }
    const room = await ctx.api.command(actor, roomId, command, intentKey(interaction, command.op));
    await interaction.editReply({ content: describe(room, channel) });
  } catch (error) {
    if (error instanceof ServerApiError && (error.code === BOT_API_ERRORS.noRoom || error.code === 'no_item')) {
      throw nothingPlaying(channel);
    }
    throw error;
  }
}

/** The current item's title in a snapshot. */
export function currentTitle(room: RoomResponse): string | undefined {
  const { playback, queue } = room.snapshot;
  return playback.itemId ? queue.find((e) => e.itemId === playback.itemId)?.title : undefined;
}
