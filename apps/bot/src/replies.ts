/**
 * Answering users: ephemeral messages, the join button, and turning any error into a message
 * (logged with the interaction's context when it is a bug).
 */
import {
  ActionRowBuilder,
  type AutocompleteInteraction,
  ButtonBuilder,
  ButtonStyle,
  type Interaction,
  type InteractionReplyOptions,
  MessageFlags,
  type VoiceBasedChannel,
} from 'discord.js';
import type { Logger } from 'pino';
import { describeError } from './errors.ts';
import { wasLaunched } from './launch.ts';

export const ephemeral = (content: string): InteractionReplyOptions & { flags: MessageFlags.Ephemeral } => ({
  content,
  flags: MessageFlags.Ephemeral,
});

/** A link button into the activity, or nothing when no invite could be made. */
export function joinRow(inviteUrl: string | null): ActionRowBuilder<ButtonBuilder>[] {
  if (!inviteUrl) return [];
  return [
    new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setStyle(ButtonStyle.Link).setURL(inviteUrl).setLabel('Join the watch party').setEmoji('🍿'),
    ),
  ];
}

/** Said instead of the button when the bot may not create invites in the channel. */
export const manualJoinHint = (channel: VoiceBasedChannel) =>
  `Join <#${channel.id}>, open the 🚀 Activities menu and pick Plex Player to watch.`;

export const truncate = (text: string, max: number) =>
  [...text].length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`;

/** Answers an interaction with the message for `error`; logs bugs with context. Never throws. */
export async function replyWithError(interaction: Interaction, error: unknown, log: Logger): Promise<void> {
  const { message, bug } = describeError(error);
  if (bug) log.error({ err: error }, 'interaction handler failed');
  else log.info({ reason: error instanceof Error ? error.message : String(error) }, 'interaction refused');
  try {
    if (interaction.isAutocomplete()) {
      if (!interaction.responded) await (interaction as AutocompleteInteraction).respond([]);
      return;
    }
    if (!interaction.isRepliable()) return;
    if (!interaction.deferred && !interaction.replied) {
      await interaction.reply(ephemeral(message));
    } else if (interaction.isMessageComponent() || wasLaunched(interaction)) {
      // The buttons' message belongs to everyone: answer the presser alone.
      await interaction.followUp(ephemeral(message));
    } else if (interaction.ephemeral) {
      await interaction.editReply({ content: message, embeds: [], components: [] });
    } else {
      // A public "thinking…" must not turn into a public error: replace it with a private one.
      await interaction.deleteReply().catch(() => {});
      await interaction.followUp(ephemeral(message));
    }
  } catch (replyError) {
    log.warn({ err: replyError }, 'could not tell the user about an error');
  }
}
