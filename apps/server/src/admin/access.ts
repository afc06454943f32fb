import { guildOfRoom } from '@dpp/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, sameSecret } from '../auth/plugin.ts';
import { guilds } from '../db/schema.ts';
import { HttpError } from '../lib/errors.ts';
import type { AdminViewer } from './overview.ts';

/** Guilds asked about for one guild admin at most (their powers are cached briefly, see GuildPowers). */
const MAX_GUILDS_CHECKED = 200;

/** Guilds that use the player: those with live rooms, and those with settings or a linked Plex server. */
async function knownGuilds(app: FastifyInstance): Promise<string[]> {
  const [roomIds, rows] = await Promise.all([
    app.rooms.roomIds(),
    app.database.db.select({ id: guilds.discordGuildId }).from(guilds).limit(MAX_GUILDS_CHECKED),
  ]);
  const ids = new Set<string>();
  for (const roomId of roomIds) {
    const guildId = guildOfRoom(roomId);
    if (guildId) ids.add(guildId);
  }
  for (const row of rows) ids.add(row.id);
  return [...ids].slice(0, MAX_GUILDS_CHECKED);
}

/**
 * Who may read the dashboard, and what of it. The operator presents ADMIN_TOKEN (compared in
 * constant time) and sees everything; in dev auth mode everyone does, as everywhere in dev mode.
 * With Discord, a signed-in user sees the rooms of the guilds where they hold Manage Server (as
 * Plex linking decides admins), and nobody else sees anything.
 */
export async function adminViewer(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<AdminViewer> {
  const token = bearerToken(request);
  const operatorToken = app.config.adminToken;
  if (token !== undefined && operatorToken !== undefined && sameSecret(token, operatorToken)) {
    return { kind: 'operator' };
  }
  if (app.discord === undefined) return { kind: 'dev' };
  if (token === undefined) {
    reply.header('www-authenticate', 'Bearer realm="admin"');
    throw new HttpError(
      401,
      'unauthorized',
      'Send Authorization: Bearer <ADMIN_TOKEN>, or a session of a Discord user who manages a server.',
    );
  }
  if (sameSecret(token, app.config.botApiToken)) {
    throw new HttpError(403, 'forbidden', 'The bot has no business with the dashboard.');
  }
  // A session token: verified (and checked against Discord's proxy signature) as on every API route.
  await app.requireSession.call(app, request, reply);
  const { discordId } = request.session;
  const known = await knownGuilds(app);
  const managed: string[] = [];
  try {
    for (const guildId of known) {
      if ((await app.discord.powers.of(guildId, discordId))?.manageGuild) managed.push(guildId);
    }
  } catch {
    throw new HttpError(
      503,
      'discord_unavailable',
      'Discord cannot say who manages which server right now; try again.',
    );
  }
  if (managed.length === 0) {
    throw new HttpError(
      403,
      'forbidden',
      'The dashboard is for the operator and for members with Manage Server in a server that uses the player.',
    );
  }
  return { kind: 'guilds', guildIds: managed.sort() };
}
