/**
 * Rooms are voice channels (`roomIdFor` in @dpp/shared). Helpers to find the caller's voice channel
 * and to say who the bot acts for.
 */
import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  VoiceBasedChannel,
} from 'discord.js';
import { UserFacingError } from './errors.ts';
import type { Actor } from './server-api.ts';

type GuildInteraction =
  | ChatInputCommandInteraction<'cached'>
  | AutocompleteInteraction<'cached'>
  | ButtonInteraction<'cached'>;

/** The user behind an interaction, with what the server's permission rules need. */
export function actorOf(interaction: GuildInteraction): Actor {
  const member = interaction.member;
  return {
    id: interaction.user.id,
    name: member.displayName,
    roles: member.roles.cache.filter((role) => role.id !== interaction.guildId).map((role) => role.id),
    permissions: interaction.memberPermissions.bitfield,
  };
}

/** The voice channel the caller is in, from the gateway's voice states. */
export function callerVoiceChannel(interaction: GuildInteraction): VoiceBasedChannel | null {
  return interaction.guild.voiceStates.cache.get(interaction.user.id)?.channel ?? null;
}

/** The caller's voice channel, or a clear message saying why they need one. */
export function requireVoiceChannel(interaction: GuildInteraction, why: string): VoiceBasedChannel {
  const channel = callerVoiceChannel(interaction);
  if (!channel) throw new UserFacingError(`🔊 Join a voice channel first: ${why}`);
  return channel;
}

/** Idempotency key for one server call made on behalf of one interaction. */
export const intentKey = (interaction: { id: string }, what: string) => `${interaction.id}:${what}`;
