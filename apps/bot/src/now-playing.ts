/**
 * The now-playing message: poster, title, progress, who is watching, and buttons (pause/resume,
 * skip) that act on the room through the server, under the room's permission rules.
 */
import { expectedPosition, formatTime, type RoomResponse } from '@dpp/shared';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder } from 'discord.js';
import { truncate } from './replies.ts';
import { upNextDescription, upNextField } from './up-next.ts';

export const NOW_PLAYING_BUTTONS = { toggle: 'toggle', skip: 'skip' } as const;
export type NowPlayingAction = keyof typeof NOW_PLAYING_BUTTONS;

export const buttonId = (action: NowPlayingAction, roomId: string) => `nowplaying:${action}:${roomId}`;

export function parseButtonId(customId: string): { action: NowPlayingAction; roomId: string } | null {
  const match = /^nowplaying:(toggle|skip):(.+)$/.exec(customId);
  return match ? { action: match[1] as NowPlayingAction, roomId: match[2]! } : null;
}

const STATUS = { playing: '▶️ Playing', paused: '⏸️ Paused', waiting: '⏳ Waiting for everyone to buffer' } as const;

function progressBar(positionMs: number, durationMs: number | null, width = 18): string {
  if (!durationMs || durationMs <= 0) return formatTime(positionMs);
  const filled = Math.min(width, Math.round((positionMs / durationMs) * width));
  return `${formatTime(positionMs)} ${'▰'.repeat(filled)}${'▱'.repeat(width - filled)} ${formatTime(durationMs)}`;
}

/** A playback rate as people say it: 1.5×, 0.75×. */
export const formatRate = (rate: number) => `${Number(rate.toFixed(2))}×`;

export interface NowPlayingInput {
  room: RoomResponse;
  channelName: string;
  /** The server's public origin, for poster URLs Discord can fetch (none: no poster). */
  publicUrl: string | undefined;
}

export function nowPlayingMessage({ room, channelName, publicUrl }: NowPlayingInput) {
  const { snapshot, serverTime } = room;
  const { playback, queue, members } = snapshot;
  const current = playback.itemId ? queue.find((e) => e.itemId === playback.itemId) : undefined;
  const embed = new EmbedBuilder().setColor(0xe5a00d).setAuthor({ name: `🔊 ${truncate(channelName, 200)}` });
  if (!playback.itemId) {
    if (snapshot.upNext) embed.setTitle('Episode over').setDescription(upNextDescription(snapshot.upNext));
    else embed.setTitle('Nothing is playing').setDescription('Start something with `/play`.');
    return { embeds: [embed], components: [] };
  }
  const position = expectedPosition(playback, serverTime, current?.durationMs ?? undefined);
  const speed = playback.rate === 1 ? '' : ` · ${formatRate(playback.rate)} speed`;
  const lines = [`${STATUS[playback.status]}${speed}`, progressBar(position, current?.durationMs ?? null)];
  // Discord shows this timestamp counting down on its own, so the message stays current between edits.
  if (playback.status === 'playing' && current?.durationMs && playback.rate > 0) {
    const endsAt = serverTime + Math.max(0, current.durationMs - position) / playback.rate;
    lines.push(`Ends <t:${Math.round(endsAt / 1000)}:R>`);
  }
  embed.setTitle(truncate(current?.title ?? 'Unknown title', 256)).setDescription(lines.join('\n'));
  const watching = members.filter((m) => m.state !== 'away');
  embed.addFields({
    name: `Watching (${watching.length})`,
    value:
      watching.length > 0
        ? truncate(watching.map((m) => m.name).join(', '), 1024)
        : 'Nobody has the activity open yet.',
  });
  const upNext = queue.filter((e) => e !== current).slice(0, 3);
  if (upNext.length > 0) {
    embed.addFields({
      name: 'Up next',
      value: truncate(upNext.map((e, i) => `${i + 1}. ${e.title}`).join('\n'), 1024),
    });
  }
  const countdown = upNextField(snapshot.upNext);
  if (countdown) embed.addFields(countdown);
  if (current?.thumb && publicUrl?.startsWith('https://')) embed.setThumbnail(`${publicUrl}${current.thumb}`);
  const paused = playback.status !== 'playing';
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(buttonId('toggle', snapshot.roomId))
      .setStyle(paused ? ButtonStyle.Success : ButtonStyle.Secondary)
      .setLabel(paused ? 'Resume' : 'Pause')
      .setEmoji(paused ? '▶️' : '⏸️'),
    new ButtonBuilder()
      .setCustomId(buttonId('skip', snapshot.roomId))
      .setStyle(ButtonStyle.Secondary)
      .setLabel('Skip')
      .setEmoji('⏭️'),
  );
  return { embeds: [embed], components: [row] };
}
