import { ApplicationIntegrationType, EmbedBuilder, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import { truncate } from '../replies.ts';
import { nothingPlaying } from '../room-action.ts';
import { actorOf, requireVoiceChannel, roomIdOf } from '../rooms.ts';
import { formatTime } from '../time.ts';

const SHOWN = 10;

export default {
  data: {
    name: 'queue',
    description: 'Show what is playing and what comes next in your voice channel',
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
  async execute(interaction, ctx) {
    const channel = requireVoiceChannel(interaction, 'the queue belongs to the watch party of your voice channel.');
    await interaction.deferReply();
    const room = await ctx.api.room(actorOf(interaction), roomIdOf(interaction.guildId, channel.id));
    if (!room || room.snapshot.queue.length === 0) throw nothingPlaying(channel);
    const { playback, queue } = room.snapshot;
    const current = playback.itemId ? queue.find((e) => e.itemId === playback.itemId) : undefined;
    const next = queue.filter((e) => e !== current);
    const line = (title: string, durationMs: number | null) =>
      `${truncate(title, 120)}${durationMs ? ` · ${formatTime(durationMs)}` : ''}`;
    const embed = new EmbedBuilder().setColor(0xe5a00d).setTitle(`Queue · 🔊 ${truncate(channel.name, 200)}`);
    embed.addFields({ name: 'Now playing', value: current ? line(current.title, current.durationMs) : 'Nothing' });
    if (next.length > 0) {
      const shown = next.slice(0, SHOWN).map((e, i) => `${i + 1}. ${line(e.title, e.durationMs)}`);
      if (next.length > SHOWN) shown.push(`…and ${next.length - SHOWN} more`);
      embed.addFields({ name: `Up next (${next.length})`, value: truncate(shown.join('\n'), 1024) });
    } else {
      embed.setFooter({ text: 'Nothing queued. Add something with /play.' });
    }
    await interaction.editReply({ embeds: [embed] });
  },
} satisfies Command;
