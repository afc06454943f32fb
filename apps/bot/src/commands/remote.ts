import { type BotRoomCommand, DISCORD_USER_PREFIX } from '@dpp/shared';
import { ApplicationCommandOptionType, ApplicationIntegrationType, InteractionContextType } from 'discord.js';
import type { Command } from '../command.ts';
import { roomAction } from '../room-action.ts';

const who = { type: ApplicationCommandOptionType.User, name: 'member', description: 'Who', required: true } as const;

/**
 * The remote from chat, under the same room rules as the activity's people panel (the server checks):
 * pass it, make someone a host, answer a request, remove someone, ask for it or give it up.
 */
export default {
  data: {
    name: 'remote',
    description: 'Who controls the watch party in your voice channel (hosts-only rooms)',
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
    options: [
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: 'pass',
        description: 'Pass the remote: they become the only host',
        options: [who],
      },
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: 'host',
        description: 'Make someone a host too',
        options: [who],
      },
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: 'accept',
        description: 'Let someone who asked control playback',
        options: [who],
      },
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: 'decline',
        description: 'Decline someone’s request for control',
        options: [who],
      },
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: 'remove',
        description: 'Remove someone from the watch party until it ends',
        options: [who],
      },
      { type: ApplicationCommandOptionType.Subcommand, name: 'ask', description: 'Ask the hosts for control' },
      { type: ApplicationCommandOptionType.Subcommand, name: 'resign', description: 'Give up being host' },
    ],
  },
  async execute(interaction, ctx) {
    const sub = interaction.options.getSubcommand(true);
    const member = interaction.options.getMember('member');
    const user = interaction.options.getUser('member');
    const userId = user ? `${DISCORD_USER_PREFIX}${user.id}` : '';
    const name = member?.displayName ?? user?.username ?? 'them';
    const me = interaction.member.displayName;
    const steps: Record<string, [BotRoomCommand, string]> = {
      pass: [{ op: 'remote.pass', userId }, `📺 ${me} passed the remote to ${name}.`],
      host: [{ op: 'host.grant', userId }, `👑 ${me} made ${name} a host.`],
      accept: [{ op: 'control.answer', userId, accept: true }, `✅ ${me} let ${name} control playback.`],
      decline: [{ op: 'control.answer', userId, accept: false }, `🙅 ${me} declined ${name}’s request.`],
      remove: [{ op: 'member.remove', userId }, `🚪 ${me} removed ${name} from the watch party.`],
      ask: [{ op: 'control.request' }, `🙋 ${me} asks the hosts for control.`],
      resign: [{ op: 'host.resign' }, `👋 ${me} gave up being host.`],
    };
    const [intent, said] = steps[sub] ?? steps.ask!;
    await roomAction(interaction, ctx, intent, () => said);
  },
} satisfies Command;
