import type { FastifyInstance } from 'fastify';
import type { Session } from '../auth/plugin.ts';
import { HttpError } from '../lib/errors.ts';

/**
 * Who may link and unlink Plex servers. In dev auth mode (no Discord credentials) everyone is an
 * admin of everything. With Discord, the rule is Manage Server in that guild; until that check is
 * wired in (it needs the user's guild permissions from Discord), non-dev sessions are refused.
 */
export function canAdminGuild(app: FastifyInstance, _session: Session, _guildId: string | undefined): boolean {
  return app.config.discord === undefined;
}

export function assertCanAdminGuild(app: FastifyInstance, session: Session, guildId: string | undefined): void {
  if (canAdminGuild(app, session, guildId)) return;
  throw new HttpError(
    403,
    'forbidden',
    guildId
      ? 'Linking Plex needs the Manage Server permission in that Discord server.'
      : 'Only the operator can link a Plex server for every guild; set PLEX_URL and PLEX_TOKEN instead.',
  );
}
