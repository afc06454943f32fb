/**
 * `/plex link|status|unlink` for the bot: which library a guild plays from, and Plex PIN sign-in
 * that stores the admin's best server for the guild. Manage Server only (status is for everyone).
 */
import { BOT_API_ERRORS, BOT_API_ROUTES, type BotPlexStatus, errorResponses } from '@dpp/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HttpError } from '../lib/errors.ts';
import { hasManageGuild, requireBot } from './guild-rules.ts';

const errors = errorResponses(400, 401, 403, 404, 503);
const security: Array<Record<string, string[]>> = [{ bot: [] }];
const tags = ['bot'];

function requireManageGuild(request: FastifyRequest) {
  if (!hasManageGuild(request)) {
    throw new HttpError(403, BOT_API_ERRORS.notAllowed, 'Only members with the Manage Server permission can do that.');
  }
}

/** What a Plex server says about itself; reachable false when it does not answer. */
async function describeServer(
  app: FastifyInstance,
  guildId: string,
  known: { name: string; machineId: string | null },
): Promise<NonNullable<BotPlexStatus['server']>> {
  try {
    const source = await app.library.sourceFor(guildId);
    const sections = await source.sections();
    return {
      ...known,
      reachable: true,
      version: null,
      libraries: sections.map((s) => ({ id: s.id, title: s.title, type: s.type })),
    };
  } catch {
    return { ...known, reachable: false, version: null, libraries: [] };
  }
}

export const botPlexRoutes: FastifyPluginAsyncZod = async (app) => {
  const routes = BOT_API_ROUTES;
  const preHandler = [app.requireSession, requireBot];

  app.get(
    routes.plexStatus.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'Which library the guild plays from',
        security,
        params: routes.plexStatus.params,
        response: { 200: routes.plexStatus.response, ...errors },
      },
    },
    async (request) => {
      const { guildId } = request.params;
      const stored = await app.plex.servers.forGuild(guildId);
      if (stored) {
        return {
          source: stored.guildId === guildId ? ('guild' as const) : ('global' as const),
          server: await describeServer(app, guildId, { name: stored.name, machineId: stored.machineId }),
        };
      }
      if (app.config.plex) {
        const source = await app.library.sourceFor(guildId);
        return {
          source: 'global' as const,
          server: await describeServer(app, guildId, { name: source.name, machineId: null }),
        };
      }
      return { source: 'demo' as const, server: null };
    },
  );

  app.post(
    routes.plexLink.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'Start Plex sign-in for the guild (Manage Server)',
        security,
        params: routes.plexLink.params,
        response: { 200: routes.plexLink.response, ...errors },
      },
    },
    async (request) => {
      requireManageGuild(request);
      return app.plex.linking.createPin(request.session.userId);
    },
  );

  app.get(
    routes.plexPin.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'Poll a Plex sign-in; once approved, the best server is linked to the guild',
        security,
        params: routes.plexPin.params,
        response: { 200: routes.plexPin.response, ...errors },
      },
    },
    async (request) => {
      requireManageGuild(request);
      const { guildId, pinId } = request.params;
      const { userId } = request.session;
      const status = await app.plex.linking.pinStatus(userId, pinId);
      if (status.status !== 'linked') return { status: status.status, server: null };
      const servers = await app.plex.linking.servers(userId, pinId);
      const best = [...servers]
        .filter((s) => s.connection !== null)
        .sort((a, b) => Number(b.owned) - Number(a.owned) || Number(b.secure) - Number(a.secure))[0];
      if (!best) return { status: 'no_server' as const, server: null };
      const stored = await app.plex.linking.link(userId, { pinId, machineIdentifier: best.machineIdentifier, guildId });
      request.log.info({ serverId: stored.id, guildId }, 'plex server linked by the bot');
      return { status: 'linked' as const, server: { name: stored.name, machineId: stored.machineId } };
    },
  );

  app.delete(
    routes.plexUnlink.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'Forget the guild’s Plex server (Manage Server)',
        security,
        params: routes.plexUnlink.params,
        response: { 200: routes.plexUnlink.response, ...errors },
      },
    },
    async (request) => {
      requireManageGuild(request);
      const { guildId } = request.params;
      const own = (await app.plex.servers.list(guildId)).filter((s) => s.guildId === guildId);
      for (const server of own) await app.plex.servers.remove(server.id, request.session.userId);
      return { unlinked: own.length > 0 };
    },
  );
};
