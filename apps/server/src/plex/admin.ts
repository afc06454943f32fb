import type { FastifyInstance } from 'fastify';
import { type Session, SNOWFLAKE } from '../auth/plugin.ts';
import { HttpError } from '../lib/errors.ts';

/**
 * Who may link and unlink Plex servers. In dev auth mode (no Discord credentials) everyone is an
 * admin of everything. With Discord, members with Manage Server (or Administrator, or the owner) in
 * that guild, read with the bot token; a server for every guild is the operator's alone (PLEX_URL).
 */
export async function canAdminGuild(app: FastifyInstance, session: Session, guildId: string | undefined) {
  if (app.discord === undefined) return true;
  if (guildId === undefined || !SNOWFLAKE.test(guildId)) return false;
  const powers = await app.discord.powers.of(guildId, session.discordId);
  return powers?.manageGuild ?? false;
}

export async function assertCanAdminGuild(app: FastifyInstance, session: Session, guildId: string | undefined) {
  let allowed: boolean;
  try {
    allowed = await canAdminGuild(app, session, guildId);
  } catch {
    throw new HttpError(503, 'discord_unavailable', 'Discord cannot say who manages this server right now; try again.');
  }
  if (allowed) return;
  throw new HttpError(
    403,
    'forbidden',
    guildId
      ? 'Linking Plex needs the Manage Server permission in that Discord server.'
      : 'Only the operator can link a Plex server for every guild; set PLEX_URL and PLEX_TOKEN instead.',
  );
}
