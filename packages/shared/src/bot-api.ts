/**
 * The bot API: what the Discord bot asks of the server under `/api/bot/*`. The bot presents
 * `Authorization: Bearer <BOT_API_TOKEN>` and acts for the Discord user who typed the command
 * (`X-Acting-User`), so the server applies the same permission rules as to the activity.
 *
 * Every route is listed in `BOT_API_ROUTES` with its method, path and schemas: the bot's client
 * and the server's routes both read that table. Errors are `{error: {code, message}}`; the message
 * is shown to the Discord user as it is, so it must be safe and friendly.
 */
import { z } from 'zod';
import { libraryItemSchema, librarySourceSchema, plexPinSchema } from './library.ts';
import { commandSchemas, controlModeSchema, itemIdSchema, roomIdSchema, roomResponseSchema } from './protocol.ts';

/** Headers the bot sends besides `Authorization`. Names in lower case, as Node reports them. */
export const BOT_API_HEADERS = {
  /** The Discord user id the bot acts for (required on every route). */
  actingUser: 'x-acting-user',
  /** Their display name, URI-encoded UTF-8 (header values are Latin-1). */
  actingUserName: 'x-acting-user-name',
  /**
   * Their role ids in the guild, comma-separated, and their guild permissions bitfield as a decimal
   * string: the bot reads both from the interaction, so the server can apply the DJ-role and
   * Manage Server rules without asking Discord. Absent on system calls (voice sync, empty rooms).
   */
  actingUserRoles: 'x-acting-user-roles',
  actingUserPermissions: 'x-acting-user-permissions',
  /** On POSTs: the same key on a retried request means the same intent (apply it once). */
  idempotencyKey: 'idempotency-key',
} as const;

/** Discord's Manage Server permission bit, for the server's checks of `x-acting-user-permissions`. */
export const MANAGE_GUILD_PERMISSION = 1n << 5n;

/** Error codes the bot treats specially; any other code is shown to the user with its message. */
export const BOT_API_ERRORS = {
  /** The guild's Plex server did not answer: 503. The bot says so kindly and does not retry. */
  plexUnavailable: 'plex_unavailable',
  /** No room in that voice channel: 404. */
  noRoom: 'no_room',
  /** The acting user may not do that (control is for hosts, or Manage Server is needed): 403. */
  notAllowed: 'not_allowed',
  /** The server is starting or its storage is unreachable: 503, worth retrying. */
  unavailable: 'unavailable',
} as const;

export const snowflakeSchema = z.string().regex(/^\d{5,25}$/, 'must be a Discord id (a snowflake)');

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

/** Discord allows at most 25 autocomplete choices. */
export const BOT_SEARCH_LIMIT = 25;

/**
 * `GET /api/bot/search?guildId&q&limit`: the guild's library (its Plex server or the demo library),
 * the same items as `GET /api/library/search`.
 */
export const botSearchQuerySchema = z.object({
  guildId: snowflakeSchema,
  q: z.string().trim().min(1).max(100),
  limit: z.coerce.number().int().min(1).max(BOT_SEARCH_LIMIT).default(BOT_SEARCH_LIMIT),
});
export type BotSearchQuery = z.input<typeof botSearchQuerySchema>;

export const botSearchResponseSchema = z.object({
  source: librarySourceSchema,
  items: z.array(libraryItemSchema).max(BOT_SEARCH_LIMIT),
});
export type BotSearchResponse = z.infer<typeof botSearchResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Rooms
// ---------------------------------------------------------------------------------------------

const envelope = { type: true, id: true } as const;

/**
 * `POST /api/bot/rooms/:roomId/commands`: one room intent, exactly as the WebSocket `command` without
 * its envelope. `load` and `queue.add` create the room when it does not exist yet (the acting user
 * becomes its host); other ops on a missing room answer 404 `no_room`. Answers `roomResponseSchema`
 * (the snapshot after the command), or an error with the room protocol's code (`not_allowed` 403,
 * `no_item`, `unknown_item`, `queue_full`, … 4xx) and a message for the user. `Idempotency-Key`
 * (interaction id + op) lets the server apply a retried command once: the key is claimed atomically,
 * so a retry sent while the first is still being applied waits for it, and both get its answer.
 */
export const botRoomCommandSchema = z.discriminatedUnion('op', [
  commandSchemas.play.omit(envelope),
  commandSchemas.pause.omit(envelope),
  commandSchemas.seek.omit(envelope),
  commandSchemas.load.omit(envelope),
  commandSchemas['queue.add'].omit(envelope),
  commandSchemas['queue.remove'].omit(envelope),
  commandSchemas['queue.move'].omit(envelope),
  commandSchemas.next.omit(envelope),
  commandSchemas.rate.omit(envelope),
  commandSchemas.settings.omit(envelope),
  commandSchemas['upnext.cancel'].omit(envelope),
  commandSchemas['upnext.play'].omit(envelope),
  commandSchemas['host.grant'].omit(envelope),
  commandSchemas['host.resign'].omit(envelope),
  commandSchemas['remote.pass'].omit(envelope),
  commandSchemas['control.request'].omit(envelope),
  commandSchemas['control.answer'].omit(envelope),
  commandSchemas['member.remove'].omit(envelope),
]);
export type BotRoomCommand = z.infer<typeof botRoomCommandSchema>;

/**
 * In the remote's ops (`host.grant`, `remote.pass`, `control.answer`, `member.remove`) the bot names a
 * member by their Discord id as `discord:<snowflake>`; the server turns it into the room's user id.
 */
export const DISCORD_USER_PREFIX = 'discord:';

export const botRoomParamsSchema = z.object({ roomId: roomIdSchema });

/**
 * `POST /api/bot/rooms/:roomId/end`: ends the room and records its watch session.
 * `stop`: a user's /stop (the room's control rules apply). `empty`: the voice channel stayed empty
 * for the bot's grace period (a system call). Answers `{ended}`: false when there was no room.
 */
export const botEndRoomRequestSchema = z.object({ reason: z.enum(['stop', 'empty']) });
export type BotEndRoomRequest = z.infer<typeof botEndRoomRequestSchema>;
export const botEndRoomResponseSchema = z.object({ ended: z.boolean() });
export type BotEndRoomResponse = z.infer<typeof botEndRoomResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Room events: what keeps the bot's now-playing messages up to date
// ---------------------------------------------------------------------------------------------

/**
 * `GET /api/bot/rooms/:roomId/events`: the room as it changes, as Server-Sent Events
 * (`text/event-stream`), from whichever server instance made the change. Named events, data JSON:
 * - `room`: `roomResponseSchema`, the whole room now. Sent first, then after every broadcast of the
 *   room (play, pause, seek, queue, members joining or leaving, settings).
 * - `ended`: `{roomId}`; the room ended (stopped, or emptied) and the stream closes.
 * A comment line every `BOT_ROOM_EVENTS_KEEPALIVE_MS` keeps proxies from closing an idle stream and
 * lets the bot notice a dead one. No room: 404 `no_room` (JSON), as on the other room routes.
 */
export const BOT_ROOM_EVENTS_PATH = '/api/bot/rooms/:roomId/events';
export const BOT_ROOM_EVENTS = { room: 'room', ended: 'ended' } as const;
export const botRoomEndedSchema = z.object({ roomId: roomIdSchema });
export type BotRoomEnded = z.infer<typeof botRoomEndedSchema>;
export const BOT_ROOM_EVENTS_KEEPALIVE_MS = 15_000;

/**
 * `GET /api/bot/guilds/:guildId/events`: the guild's rooms as they appear, as Server-Sent Events:
 * `ready` (`{}`) first, once the feed is listening, then `created` with `{roomId}` whenever a room of
 * the guild is created, by the activity, a command or the bot, on any instance. The bot answers with
 * the guild's voice state (on `ready` too: rooms may have appeared while it was not listening), so
 * everyone already in that voice channel is present in the new room. Keep-alive comments as on the
 * room feed.
 */
export const BOT_GUILD_EVENTS_PATH = '/api/bot/guilds/:guildId/events';
export const BOT_GUILD_EVENTS = { ready: 'ready', created: 'created' } as const;
export const botRoomCreatedSchema = z.object({ roomId: roomIdSchema });
export type BotRoomCreated = z.infer<typeof botRoomCreatedSchema>;

/**
 * `POST /api/bot/rooms/:roomId/play {itemId}`: /play in one room update. With nothing playing the
 * item starts (the room is created if needed); otherwise it is added to the queue. Two /play at
 * once never replace each other: one starts, the other queues. Answers the room as this write left
 * it, with what happened to the item and its queue entry.
 */
export const botPlayRequestSchema = z.object({ itemId: itemIdSchema });
export type BotPlayRequest = z.infer<typeof botPlayRequestSchema>;
export const botPlayResponseSchema = roomResponseSchema.extend({
  outcome: z.enum(['started', 'queued']),
  entryId: z.string(),
  /** Started where the guild left it part-way (ms), when it had been. */
  resumedFromMs: z.number().min(0).optional(),
});
export type BotPlayResponse = z.infer<typeof botPlayResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Voice presence: the voice channel is the room
// ---------------------------------------------------------------------------------------------

const voiceUserSchema = z.object({
  userId: snowflakeSchema,
  name: z.string().max(100).nullable(),
  /** Avatar URL, or null for the default avatar. */
  avatar: z.string().max(512).nullable(),
});

/**
 * `POST /api/bot/voice/events`: a person joined or left a voice channel (a move is a leave then a
 * join). The server marks the member present or away in the channel's room, if there is one.
 * Answers 204. Bots are never reported.
 */
export const botVoiceEventSchema = voiceUserSchema.extend({
  kind: z.enum(['join', 'leave']),
  guildId: snowflakeSchema,
  channelId: snowflakeSchema,
});
export type BotVoiceEvent = z.infer<typeof botVoiceEventSchema>;

/**
 * `PUT /api/bot/voice/guilds/:guildId`: everyone in the guild's voice channels, sent when the bot
 * (re)connects and after it failed to report events. The server reconciles: people not listed are
 * away from every room of the guild. Answers 204.
 */
export const botVoiceSyncSchema = z.object({
  channels: z.array(z.object({ channelId: snowflakeSchema, users: z.array(voiceUserSchema).max(5000) })).max(500),
});
export type BotVoiceSync = z.infer<typeof botVoiceSyncSchema>;

export const botGuildParamsSchema = z.object({ guildId: snowflakeSchema });

// ---------------------------------------------------------------------------------------------
// Plex linking (Manage Server)
// ---------------------------------------------------------------------------------------------

/** `GET /api/bot/guilds/:guildId/plex`: which library the guild plays from. */
export const botPlexStatusSchema = z.object({
  /** `guild`: linked by an admin; `global`: PLEX_URL for every guild; `demo`: nothing configured. */
  source: z.enum(['guild', 'global', 'demo']),
  server: z
    .object({
      name: z.string(),
      machineId: z.string().nullable(),
      reachable: z.boolean(),
      version: z.string().nullable(),
      libraries: z.array(z.object({ id: z.string(), title: z.string(), type: z.string() })),
    })
    .nullable(),
});
export type BotPlexStatus = z.infer<typeof botPlexStatusSchema>;

/**
 * `POST /api/bot/guilds/:guildId/plex/pins`: starts Plex PIN sign-in for the guild (the library's
 * `plexPinSchema`). The admin opens `linkUrl` and approves the code; the bot polls the pin until
 * it is linked or expires.
 */
export const botPlexPinSchema = plexPinSchema;
export type BotPlexPin = z.infer<typeof botPlexPinSchema>;

export const botPlexPinParamsSchema = botGuildParamsSchema.extend({ pinId: z.string().min(1).max(64) });

/**
 * `GET /api/bot/guilds/:guildId/plex/pins/:pinId`. `linked`: the admin signed in and the server chose
 * their Plex server for the guild (`server` names it; owned and reachable first). `no_server`: signed
 * in, but the account has no Plex server the server can reach.
 */
export const botPlexPinStatusSchema = z.object({
  status: z.enum(['pending', 'linked', 'no_server', 'expired']),
  server: z.object({ name: z.string(), machineId: z.string().nullable() }).nullable(),
});
export type BotPlexPinStatus = z.infer<typeof botPlexPinStatusSchema>;

/** `DELETE /api/bot/guilds/:guildId/plex`: forget the guild's Plex server. Answers `{unlinked}`. */
export const botPlexUnlinkSchema = z.object({ unlinked: z.boolean() });
export type BotPlexUnlink = z.infer<typeof botPlexUnlinkSchema>;

// ---------------------------------------------------------------------------------------------
// Guild settings (Manage Server)
// ---------------------------------------------------------------------------------------------

/** `GET /api/bot/guilds/:guildId/settings`, and the answer to PATCH. */
export const botGuildSettingsSchema = z.object({
  /** Members with this role are hosts in every room of the guild. */
  djRoleId: snowflakeSchema.nullable(),
  /** The control mode new rooms start with. */
  control: controlModeSchema,
});
export type BotGuildSettings = z.infer<typeof botGuildSettingsSchema>;

/** `PATCH /api/bot/guilds/:guildId/settings`: the fields to change. */
export const botGuildSettingsPatchSchema = botGuildSettingsSchema
  .partial()
  .refine((patch) => patch.djRoleId !== undefined || patch.control !== undefined, {
    message: 'change at least one of djRoleId, control',
  });
export type BotGuildSettingsPatch = z.infer<typeof botGuildSettingsPatchSchema>;

// ---------------------------------------------------------------------------------------------
// Watch history
// ---------------------------------------------------------------------------------------------

export const BOT_HISTORY_LIMIT = 10;

/** `GET /api/bot/guilds/:guildId/history?limit`: what the guild's rooms played, newest first. */
export const botHistoryQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(25).default(BOT_HISTORY_LIMIT),
});
export const botHistoryResponseSchema = z.object({
  items: z.array(
    z.object({
      itemId: z.string(),
      title: z.string(),
      /** The voice channel's id (the room is `<guildId>:<channelId>`). */
      channelId: z.string(),
      /** ISO 8601: when the room started the item. */
      startedAt: z.string(),
    }),
  ),
});
export type BotHistoryResponse = z.infer<typeof botHistoryResponseSchema>;

// ---------------------------------------------------------------------------------------------
// The route table
// ---------------------------------------------------------------------------------------------

const noContent = z.undefined();

/**
 * Every `/api/bot/*` route. `path` uses Fastify's `:param` syntax; `params`, `query` and `body`
 * validate the request, `response` the successful answer (`noContent` for 204).
 */
export const BOT_API_ROUTES = {
  search: {
    method: 'GET',
    path: '/api/bot/search',
    query: botSearchQuerySchema,
    response: botSearchResponseSchema,
  },
  room: {
    method: 'GET',
    path: '/api/bot/rooms/:roomId',
    params: botRoomParamsSchema,
    response: roomResponseSchema,
  },
  roomCommand: {
    method: 'POST',
    path: '/api/bot/rooms/:roomId/commands',
    params: botRoomParamsSchema,
    body: botRoomCommandSchema,
    response: roomResponseSchema,
  },
  play: {
    method: 'POST',
    path: '/api/bot/rooms/:roomId/play',
    params: botRoomParamsSchema,
    body: botPlayRequestSchema,
    response: botPlayResponseSchema,
  },
  endRoom: {
    method: 'POST',
    path: '/api/bot/rooms/:roomId/end',
    params: botRoomParamsSchema,
    body: botEndRoomRequestSchema,
    response: botEndRoomResponseSchema,
  },
  voiceEvent: {
    method: 'POST',
    path: '/api/bot/voice/events',
    body: botVoiceEventSchema,
    response: noContent,
  },
  voiceSync: {
    method: 'PUT',
    path: '/api/bot/voice/guilds/:guildId',
    params: botGuildParamsSchema,
    body: botVoiceSyncSchema,
    response: noContent,
  },
  plexStatus: {
    method: 'GET',
    path: '/api/bot/guilds/:guildId/plex',
    params: botGuildParamsSchema,
    response: botPlexStatusSchema,
  },
  plexLink: {
    method: 'POST',
    path: '/api/bot/guilds/:guildId/plex/pins',
    params: botGuildParamsSchema,
    response: botPlexPinSchema,
  },
  plexPin: {
    method: 'GET',
    path: '/api/bot/guilds/:guildId/plex/pins/:pinId',
    params: botPlexPinParamsSchema,
    response: botPlexPinStatusSchema,
  },
  plexUnlink: {
    method: 'DELETE',
    path: '/api/bot/guilds/:guildId/plex',
    params: botGuildParamsSchema,
    response: botPlexUnlinkSchema,
  },
  guildSettings: {
    method: 'GET',
    path: '/api/bot/guilds/:guildId/settings',
    params: botGuildParamsSchema,
    response: botGuildSettingsSchema,
  },
  updateGuildSettings: {
    method: 'PATCH',
    path: '/api/bot/guilds/:guildId/settings',
    params: botGuildParamsSchema,
    body: botGuildSettingsPatchSchema,
    response: botGuildSettingsSchema,
  },
  history: {
    method: 'GET',
    path: '/api/bot/guilds/:guildId/history',
    params: botGuildParamsSchema,
    query: botHistoryQuerySchema,
    response: botHistoryResponseSchema,
  },
} as const;
export type BotApiRouteName = keyof typeof BOT_API_ROUTES;

/** Fills a route's `:params` (URI-encoded). */
export function botApiPath(template: string, params: Record<string, string> = {}): string {
  return template.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name} for ${template}`);
    return encodeURIComponent(value);
  });
}
