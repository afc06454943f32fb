/**
 * Opening the activity for the caller: the interaction callback LAUNCH_ACTIVITY (type 12) starts
 * Plex Player for them at once. Discord allows it only as the first answer, for an app with
 * Activities enabled and a user who may start one there; otherwise the caller gets the invite button
 * like everyone else.
 */
import { type ChatInputCommandInteraction, DiscordAPIError } from 'discord.js';
import type { Logger } from 'pino';

/** Interactions answered with LAUNCH_ACTIVITY: they have no message of their own, only followups. */
const launched = new WeakSet<object>();
export const wasLaunched = (interaction: object) => launched.has(interaction);

/** True when the activity was launched for the caller (the interaction is then answered). */
export async function launchForCaller(
  interaction: ChatInputCommandInteraction<'cached'>,
  log: Logger,
): Promise<boolean> {
  try {
    await interaction.launchActivity();
    launched.add(interaction);
    return true;
  } catch (error) {
    if (error instanceof DiscordAPIError && error.status === 400) {
      log.info({ code: error.code }, 'Discord would not launch the activity here; answering with the invite');
      return false;
    }
    throw error;
  }
}
