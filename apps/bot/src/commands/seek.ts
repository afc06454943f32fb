import { expectedPosition, formatTime } from '@dpp/shared';
import { ApplicationCommandOptionType, ApplicationIntegrationType, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import { UserFacingError } from '../errors.ts';
import { roomAction } from '../room-action.ts';
import { parseTime } from '../time.ts';

export default {
  data: {
    name: 'seek',
    description: 'Jump to a time: 1:23:45, 83:00, 90s, 5m, or +30s / -1m to skip',
    options: [
      {
        type: ApplicationCommandOptionType.String,
        name: 'time',
        description: 'Where to jump: 1:23:45, 83:00, 90s, 5m, 1h30m; +30s or -10s from here',
        required: true,
        max_length: 32,
      },
    ],
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
  async execute(interaction, ctx) {
    const input = interaction.options.getString('time', true);
    const parsed = parseTime(input);
    if (!parsed.ok) {
      throw new UserFacingError(
        `⌚ I couldn't read “${input}” as a time. Try \`1:23:45\`, \`83:00\`, \`90s\`, \`5m\` or \`+30s\`.`,
      );
    }
    const { mode, ms } = parsed.value;
    await roomAction(
      interaction,
      ctx,
      (room) => {
        const { playback, queue } = room.snapshot;
        const durationMs = queue.find((e) => e.itemId === playback.itemId)?.durationMs ?? null;
        const target = mode === 'relative' ? Math.max(0, expectedPosition(playback, room.serverTime) + ms) : ms;
        if (durationMs !== null && target >= durationMs) {
          throw new UserFacingError(`⌚ ${formatTime(target)} is past the end (${formatTime(durationMs)}).`);
        }
        return { op: 'seek', positionMs: target };
      },
      (room) => `⏩ ${interaction.member.displayName} jumped to ${formatTime(room.snapshot.playback.positionMs)}.`,
    );
  },
} satisfies Command;
