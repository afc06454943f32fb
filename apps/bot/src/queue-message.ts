/**
 * The /queue message: what plays now and what comes next, with a Skip button and one Remove button per
 * shown entry. The buttons act through the server, under the room's rules (hosts mode holds for them
 * as for the activity).
 */
import type { RoomResponse } from '@dpp/shared';
import { formatTime } from '@dpp/shared';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder } from 'discord.js';
import { formatRate } from './now-playing.ts';
import { truncate } from './replies.ts';

/** Entries listed; the first `REMOVABLE` of them get a Remove button (Discord allows 5 rows of 5). */
const SHOWN = 10;
const REMOVABLE = 8;

export type QueueButton = { action: 'skip'; roomId: string } | { action: 'remove'; roomId: string; entryId: string };

export const queueButtonId = (button: QueueButton) =>
  button.action === 'skip' ? `queue:skip:${button.roomId}` : `queue:remove:${button.roomId}:${button.entryId}`;

export function parseQueueButton(customId: string): QueueButton | null {
  const skip = /^queue:skip:(\d{5,25}:\d{5,25})$/.exec(customId);
  if (skip) return { action: 'skip', roomId: skip[1]! };
  const remove = /^queue:remove:(\d{5,25}:\d{5,25}):([\w-]{1,64})$/.exec(customId);
  return remove ? { action: 'remove', roomId: remove[1]!, entryId: remove[2]! } : null;
}

export function queueMessage(room: RoomResponse, channelName: string) {
  const { playback, queue, roomId } = room.snapshot;
  const current = playback.itemId ? queue[0] : undefined;
  const next = queue.filter((e) => e !== current);
  const line = (title: string, durationMs: number | null) =>
    `${truncate(title, 120)}${durationMs ? ` · ${formatTime(durationMs)}` : ''}`;
  const embed = new EmbedBuilder().setColor(0xe5a00d).setTitle(`Queue · 🔊 ${truncate(channelName, 200)}`);
  const speed = current && playback.rate !== 1 ? ` (${formatRate(playback.rate)})` : '';
  embed.addFields({
    name: 'Now playing',
    value: current ? `${line(current.title, current.durationMs)}${speed}` : 'Nothing',
  });
  if (next.length > 0) {
    const shown = next.slice(0, SHOWN).map((e, i) => `${i + 1}. ${line(e.title, e.durationMs)}`);
    if (next.length > SHOWN) shown.push(`…and ${next.length - SHOWN} more`);
    embed.addFields({ name: `Up next (${next.length})`, value: truncate(shown.join('\n'), 1024) });
  } else {
    embed.setFooter({ text: 'Nothing queued. Add something with /play.' });
  }
  const buttons: ButtonBuilder[] = [];
  if (current) {
    buttons.push(
      new ButtonBuilder()
        .setCustomId(queueButtonId({ action: 'skip', roomId }))
        .setStyle(ButtonStyle.Primary)
        .setLabel('Skip')
        .setEmoji('⏭️'),
    );
  }
  next.slice(0, REMOVABLE).forEach((entry, i) => {
    buttons.push(
      new ButtonBuilder()
        .setCustomId(queueButtonId({ action: 'remove', roomId, entryId: entry.entryId }))
        .setStyle(ButtonStyle.Secondary)
        .setLabel(truncate(`Remove ${i + 1}. ${entry.title}`, 80)),
    );
  });
  const rows: ActionRowBuilder<ButtonBuilder>[] = [];
  for (let i = 0; i < buttons.length; i += 5) {
    rows.push(new ActionRowBuilder<ButtonBuilder>().addComponents(buttons.slice(i, i + 5)));
  }
  return { embeds: [embed], components: rows };
}
