import { BOT_API_ERRORS, BOT_API_HEADERS, MANAGE_GUILD_PERMISSION } from '@dpp/shared';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../lib/errors.ts';

/** Manage Server, from the permissions bitfield the bot read off the interaction. */
export function hasManageGuild(request: FastifyRequest): boolean {
  const raw = request.headers[BOT_API_HEADERS.actingUserPermissions];
  if (typeof raw !== 'string' || !/^\d{1,25}$/.test(raw)) return false;
  return (BigInt(raw) & MANAGE_GUILD_PERMISSION) !== 0n;
}

/** Only the bot's service token (with an acting user) may use the bot API; after `requireSession`. */
export async function requireBot(request: FastifyRequest): Promise<void> {
  if (request.session.via !== 'bot') {
    throw new HttpError(403, BOT_API_ERRORS.notAllowed, 'The bot API is for the Discord bot only.');
  }
}
