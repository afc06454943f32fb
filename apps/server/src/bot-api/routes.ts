/**
 * The bot API (`/api/bot/*`, contract in packages/shared/src/bot-api.ts): what the Discord bot asks
 * of the server, acting for the Discord user who typed a command. The room rules are the
 * activity's: control is for everyone or for hosts (the room's creator and host, members with the
 * guild's DJ role, members with Manage Server), which the bot reports from the interaction.
 */
import {
  BOT_API_ERRORS,
  BOT_API_HEADERS,
  BOT_API_ROUTES,
  type BotGuildSettings,
  type BotPlayResponse,
  type BotRoomCommand,
  DISCORD_USER_PREFIX,
  type ErrorCode,
  errorResponses,
  guildOfRoom,
  type LibraryItemDto,
  roomIdFor,
} from '@dpp/shared';
import { eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { upsertUser } from '../auth/users.ts';
import { readGuildSettings, saveGuildSettings } from '../db/guild-settings.ts';
import { users } from '../db/schema.ts';
import { HttpError } from '../lib/errors.ts';
import type { MediaItem, MediaSource } from '../media/media-source.ts';
import { guildHistory } from '../rooms/guild-history.ts';
import { grantsHostPowers } from '../rooms/guild-powers.ts';
import { hasManageGuild, requireBot } from './guild-rules.ts';
import { applyOnce, idempotencyKey } from './idempotency.ts';
import { botPlexRoutes } from './plex-routes.ts';
import { botRoomEventRoutes } from './room-events.ts';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const security: Array<Record<string, string[]>> = [{ bot: [] }];
const tags = ['bot'];

const NO_ROOM = 'No watch party in that voice channel. Start one with /play.';

/** HTTP status for a room protocol error code. */
const COMMAND_STATUS: Partial<Record<ErrorCode, number>> = {
  not_allowed: 403,
  no_item: 409,
  unknown_item: 404,
  unknown_entry: 404,
  invalid_move: 409,
  queue_full: 409,
  conflict: 409,
  unavailable: 503,
  rate_limited: 429,
  internal: 500,
  unknown_member: 404,
  reactions_off: 409,
  removed: 403,
};

/** Messages for the Discord user (the room protocol's are written for clients). */
const COMMAND_MESSAGES: Partial<Record<ErrorCode, string>> = {
  not_allowed: 'Only hosts can control playback in this watch party (the DJ role or Manage Server also works).',
  no_item: 'Nothing is playing in this watch party. Start something with /play.',
  unknown_item: 'That title is not in this server’s library (any more).',
  unavailable: 'The watch party service is busy or restarting; try again in a moment.',
};

/** A refused room command as the bot's answer: no room, or the status and a message for the user. */
function commandError(code: ErrorCode, message: string): HttpError {
  if (code === 'not_joined') return new HttpError(404, BOT_API_ERRORS.noRoom, NO_ROOM);
  return new HttpError(COMMAND_STATUS[code] ?? 400, code, COMMAND_MESSAGES[code] ?? message);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function actingRoles(request: FastifyRequest): string[] {
  return (header(request, BOT_API_HEADERS.actingUserRoles) ?? '')
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
}

/** The acting user, and the host powers their guild grants them as the bot read them off the interaction. */
function actingFor(app: FastifyInstance, request: FastifyRequest, roomId: string) {
  const { userId, name, avatar } = request.session;
  const guildId = guildOfRoom(roomId);
  const powers = { manageGuild: hasManageGuild(request), roles: actingRoles(request) };
  return {
    actor: { userId, name, avatar },
    privileged: async () => guildId !== undefined && grantsHostPowers(app.database.db, guildId, powers),
  };
}

function requireManageGuild(request: FastifyRequest) {
  if (!hasManageGuild(request)) {
    throw new HttpError(403, BOT_API_ERRORS.notAllowed, 'Only members with the Manage Server permission can do that.');
  }
}

function itemDto(app: FastifyInstance, source: MediaSource, item: MediaItem): LibraryItemDto {
  return {
    ...item,
    thumb: app.library.artUrl(source, item.thumb, item.type === 'episode' ? 'thumb' : 'poster'),
    art: app.library.artUrl(source, item.art, 'backdrop'),
  };
}

/** The room user of someone the bot saw in a voice channel (recorded, or updated, as a user). */
async function roomUser(app: FastifyInstance, person: { userId: string; name?: string | null; avatar: string | null }) {
  const user = await upsertUser(app.database.db, {
    discordId: person.userId,
    name: person.name ?? undefined,
    avatar: person.avatar,
  });
  return { userId: user.id, name: user.name, avatar: user.avatar };
}

/**
 * The remote's ops name a member; the bot knows Discord users, so it may write `discord:<snowflake>`,
 * which becomes that user's room id here. Someone who never came near the server is no member.
 */
async function withRoomUserId(app: FastifyInstance, intent: BotRoomCommand): Promise<BotRoomCommand> {
  if (!('userId' in intent) || !intent.userId.startsWith(DISCORD_USER_PREFIX)) return intent;
  const discordId = intent.userId.slice(DISCORD_USER_PREFIX.length);
  const [row] = await app.database.db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.discordId, discordId))
    .limit(1);
  if (!row) throw new HttpError(404, 'unknown_member', 'That person is not in this watch party.');
  return { ...intent, userId: row.id };
}

const botApiRoutes: FastifyPluginAsyncZod = async (app) => {
  const routes = BOT_API_ROUTES;

  const preHandler = [app.requireSession, requireBot];

  const roomAnswer = async (roomId: string) => {
    const snapshot = await app.rooms.snapshot(roomId);
    if (!snapshot) throw new HttpError(404, BOT_API_ERRORS.noRoom, NO_ROOM);
    return { serverTime: Date.now(), snapshot };
  };

  /**
   * Runs one room command for the acting user and answers the room exactly as it left it. `load` and
   * `queue.add` open the room, with the caller present in its voice channel (/play needs them in it).
   * Refusals become HTTP errors with messages for the user.
   */
  const runCommand = async (request: FastifyRequest, roomId: string, intent: BotRoomCommand) => {
    const { actor, privileged } = actingFor(app, request, roomId);
    const opens = intent.op === 'load' || intent.op === 'queue.add' ? 'voice' : false;
    const result = await app.rooms.command(roomId, actor, intent, { privileged, opens });
    if (!result.ok) throw commandError(result.code, result.message);
    if (!result.snapshot) throw new HttpError(404, BOT_API_ERRORS.noRoom, NO_ROOM);
    return result.snapshot;
  };

  app.get(
    routes.search.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'Search the guild’s library (autocomplete)',
        security,
        querystring: routes.search.query,
        response: { 200: routes.search.response, ...errors },
      },
    },
    async (request) => {
      const source = await app.library.sourceFor(request.query.guildId);
      const items = await source.search(request.query.q, request.query.limit);
      return {
        source: { kind: source.kind, name: source.name },
        items: items.slice(0, request.query.limit).map((item) => itemDto(app, source, item)),
      };
    },
  );

  app.get(
    routes.room.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'A room’s snapshot',
        security,
        params: routes.room.params,
        response: { 200: routes.room.response, ...errors },
      },
    },
    async (request) => roomAnswer(request.params.roomId),
  );

  app.post(
    routes.roomCommand.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'A room command for the acting user (load and queue.add create the room)',
        security,
        params: routes.roomCommand.params,
        body: routes.roomCommand.body,
        response: { 200: routes.roomCommand.response, ...errors },
      },
    },
    async (request) => {
      const { roomId } = request.params;
      // A retry of a command (applied, or being applied) gets the first answer, without applying it again.
      return applyOnce(app.cache, idempotencyKey(request, roomId, 'command'), async () => {
        await runCommand(request, roomId, await withRoomUserId(app, request.body));
        return roomAnswer(roomId);
      });
    },
  );

  app.post(
    routes.play.path,
    {
      preHandler,
      schema: {
        tags,
        summary: '/play: start the item, or queue it when something is playing (one room update)',
        security,
        params: routes.play.params,
        body: routes.play.body,
        response: { 200: routes.play.response, ...errors },
      },
    },
    async (request) => {
      const { roomId } = request.params;
      const { itemId } = request.body;
      return applyOnce(app.cache, idempotencyKey(request, roomId, 'play'), async () => {
        const { actor, privileged } = actingFor(app, request, roomId);
        const result = await app.rooms.play(roomId, actor, itemId, { privileged });
        if (!result.ok) throw commandError(result.code, result.message);
        const answer: BotPlayResponse = {
          serverTime: Date.now(),
          snapshot: result.snapshot,
          outcome: result.outcome,
          entryId: result.entryId,
          ...(result.resumedFromMs !== undefined ? { resumedFromMs: result.resumedFromMs } : {}),
        };
        return answer;
      });
    },
  );

  app.post(
    routes.endRoom.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'End a room and record its watch session',
        security,
        params: routes.endRoom.params,
        body: routes.endRoom.body,
        response: { 200: routes.endRoom.response, ...errors },
      },
    },
    async (request) => {
      const { roomId } = request.params;
      // /stop is for whoever may control the room; the bot ends a room whose channel stayed empty.
      const result = await app.rooms.end(
        roomId,
        request.body.reason === 'stop' ? actingFor(app, request, roomId) : undefined,
      );
      if (!result.ok) throw commandError(result.code, result.message);
      return { ended: result.ended };
    },
  );

  app.post(
    routes.voiceEvent.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'Someone joined or left a voice channel',
        security,
        body: routes.voiceEvent.body,
        response: { 204: z.undefined(), ...errors },
      },
    },
    async (request, reply) => {
      const event = request.body;
      const roomId = roomIdFor(event.guildId, event.channelId);
      await app.rooms.voice(roomId, () => roomUser(app, event), event.kind === 'join');
      return reply.code(204).send();
    },
  );

  app.put(
    routes.voiceSync.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'Everyone in the guild’s voice channels (reconcile presence)',
        security,
        params: routes.voiceSync.params,
        body: routes.voiceSync.body,
        response: { 204: z.undefined(), ...errors },
      },
    },
    async (request, reply) => {
      const channels = new Map(request.body.channels.map((c) => [c.channelId, c.users]));
      await app.rooms.reconcileVoice(request.params.guildId, channels, (person) => roomUser(app, person));
      return reply.code(204).send();
    },
  );

  app.get(
    routes.guildSettings.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'The guild’s DJ role and default control mode',
        security,
        params: routes.guildSettings.params,
        response: { 200: routes.guildSettings.response, ...errors },
      },
    },
    async (request) => readGuildSettings(app.database.db, request.params.guildId),
  );

  app.patch(
    routes.updateGuildSettings.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'Change the guild’s DJ role or default control mode (Manage Server)',
        security,
        params: routes.updateGuildSettings.params,
        body: routes.updateGuildSettings.body,
        response: { 200: routes.updateGuildSettings.response, ...errors },
      },
    },
    async (request) => {
      requireManageGuild(request);
      const { guildId } = request.params;
      const current = await readGuildSettings(app.database.db, guildId);
      const next: BotGuildSettings = {
        djRoleId: request.body.djRoleId === undefined ? current.djRoleId : request.body.djRoleId,
        control: request.body.control ?? current.control,
      };
      await saveGuildSettings(app.database.db, guildId, next);
      return next;
    },
  );

  app.get(
    routes.history.path,
    {
      preHandler,
      schema: {
        tags,
        summary: 'What the guild’s rooms played recently, newest first (/history)',
        security,
        params: routes.history.params,
        querystring: routes.history.query,
        response: { 200: routes.history.response, ...errors },
      },
    },
    async (request) => ({ items: await guildHistory(app.database.db, request.params.guildId, request.query.limit) }),
  );

  await app.register(botPlexRoutes);
  await app.register(botRoomEventRoutes);
};

export default botApiRoutes;
