/**
 * The room protocol, version 1: what travels on `GET /ws` in both directions, and the REST shapes of
 * a room and a session. Server and activity both import these schemas; the server validates every
 * inbound frame with `clientMessageSchema` before dispatching it. Documented in docs/protocol.md.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/** Numbers both sides rely on. */
export const PROTOCOL_LIMITS = {
  /** Largest frame the server accepts (bigger ones close the socket with 1009). */
  maxPayloadBytes: 64 * 1024,
  /** The first frame must be `hello`, within this time. */
  helloTimeoutMs: 5_000,
  /** Most entries a queue holds (current item included). */
  maxQueueLength: 200,
  minRate: 0.5,
  maxRate: 2,
  /** Reaction marks a room keeps on its items' timelines (the oldest go first). */
  maxReactionMarks: 120,
} as const;

/** The speeds the player's menu offers (any rate within the limits is valid on the wire). */
export const PLAYBACK_RATES = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;

/**
 * Emoji a viewer may react with: a small fixed set shown first, then the common ones of Discord's
 * picker. Anything else is a bad frame: reactions carry no free text.
 */
export const QUICK_REACTIONS = ['😂', '😮', '😍', '👏', '🔥', '😱'] as const;
export const PICKER_REACTIONS = [
  '👍',
  '👎',
  '❤️',
  '😢',
  '😡',
  '🤔',
  '🙏',
  '🎉',
  '💀',
  '👀',
  '🍿',
  '😴',
  '🤯',
  '🥲',
  '😭',
  '💯',
] as const;
export const REACTION_EMOJI = [...QUICK_REACTIONS, ...PICKER_REACTIONS] as const;
export const reactionEmojiSchema = z.enum(REACTION_EMOJI);
export type ReactionEmoji = z.infer<typeof reactionEmojiSchema>;

// ---------------------------------------------------------------------------------------------
// Room ids and shared value types
// ---------------------------------------------------------------------------------------------

/** `<guildId>:<channelId>` (Discord snowflakes) or `dev:<name>` in standalone mode. */
export const ROOM_ID_PATTERN = /^(?:\d{5,25}:\d{5,25}|dev:[A-Za-z0-9_-]{1,64})$/;
export const roomIdSchema = z.string().regex(ROOM_ID_PATTERN, 'must be "<guildId>:<channelId>" or "dev:<name>"');

/** Plex rating keys are digits; the demo library uses `demo-<n>`. */
export const itemIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w:.-]+$/, 'must be letters, digits, "_", "-", ".", or ":"');

const entryIdSchema = z.string().min(1).max(64);
const positionSchema = z.number().finite().min(0).max(1e9);
/** Milliseconds on the server's clock (epoch ms). */
const serverTimeSchema = z.number().finite();

export const playbackStatusSchema = z.enum(['playing', 'paused', 'waiting']);
export type PlaybackStatus = z.infer<typeof playbackStatusSchema>;

/**
 * Where the room is. Expected position at server time T:
 * `positionMs + (status === 'playing' ? (T - atServerMs) * rate : 0)`. `atServerMs` may lie in the
 * near future: a transition scheduled with a lead so every client acts at the same instant.
 * `rev` changes with every playback transition; reports carry the rev they refer to.
 */
export const playbackSchema = z.object({
  rev: z.number().int().min(0),
  itemId: itemIdSchema.nullable(),
  status: playbackStatusSchema,
  positionMs: positionSchema,
  atServerMs: serverTimeSchema,
  rate: z.number().min(PROTOCOL_LIMITS.minRate).max(PROTOCOL_LIMITS.maxRate),
  /** While `waiting`: the server time after which the room plays on without the members it waits for. */
  waitUntil: serverTimeSchema.nullable(),
  /**
   * Set when the server restored the room from its durable copy (a restart, or a Redis that lost
   * its data): the room holds paused until someone plays. Cleared by the next playback change.
   */
  restored: z.literal(true).optional(),
});
export type Playback = z.infer<typeof playbackSchema>;

/** The queue: index 0 is the current item (when `playback.itemId` is set), the rest is up next. */
export const queueEntrySchema = z.object({
  entryId: entryIdSchema,
  itemId: itemIdSchema,
  title: z.string(),
  durationMs: z.number().min(0).nullable(),
  thumb: z.string().nullable(),
  addedBy: z.string(),
  /** Where the item's credits start (ms), when the library knows: the room offers what is up next there. */
  creditsAtMs: z.number().min(0).optional(),
});
export type QueueEntry = z.infer<typeof queueEntrySchema>;

export const memberRoleSchema = z.enum(['host', 'member']);
export type MemberRole = z.infer<typeof memberRoleSchema>;

/**
 * ready: buffered at the room's position. buffering: loading or stalled. away: disconnected (kept
 * for a grace period) or hidden. lagging: the room stopped waiting for this member, who catches up alone.
 */
export const memberStateSchema = z.enum(['ready', 'buffering', 'away', 'lagging']);
export type MemberState = z.infer<typeof memberStateSchema>;

export const memberSchema = z.object({
  userId: z.string(),
  name: z.string(),
  avatar: z.string().nullable(),
  role: memberRoleSchema,
  state: memberStateSchema,
  /** Asking the hosts for control (hosts mode); a host accepts or declines. */
  asking: z.literal(true).optional(),
});
export type Member = z.infer<typeof memberSchema>;

export const controlModeSchema = z.enum(['everyone', 'hosts']);
export type ControlMode = z.infer<typeof controlModeSchema>;

export const roomSettingsSchema = z.object({
  control: controlModeSchema,
  /** Whether the next episode is offered ("Up next") when an episode ends with nothing queued; absent: on. */
  autoplayNext: z.boolean().optional(),
  /** Emoji reactions; absent means on (rooms made before the setting existed). */
  reactions: z.boolean().optional(),
});
export type RoomSettings = z.infer<typeof roomSettingsSchema>;

/** How long the "Up next" countdown runs before the next episode starts. */
export const UP_NEXT_COUNTDOWN_MS = 10_000;

/**
 * The next episode, announced when an episode reaches its credits or its end with nothing queued:
 * it starts at `startsAt` (server time) unless someone who may control cancels it or starts it now.
 */
export const upNextSchema = z.object({
  itemId: itemIdSchema,
  title: z.string(),
  durationMs: z.number().min(0).nullable(),
  thumb: z.string().nullable(),
  creditsAtMs: z.number().min(0).optional(),
  startsAt: serverTimeSchema,
});
export type UpNext = z.infer<typeof upNextSchema>;

/** A reaction on an item's timeline; `at` is the server time everyone shows it float over the picture. */
export const reactionMarkSchema = z.object({
  itemId: itemIdSchema,
  positionMs: positionSchema,
  emoji: reactionEmojiSchema,
  at: serverTimeSchema,
});
export type ReactionMark = z.infer<typeof reactionMarkSchema>;

export const roomSnapshotSchema = z.object({
  roomId: roomIdSchema,
  /** The per-room broadcast counter: +1 on every `state` broadcast. */
  seq: z.number().int().min(0),
  playback: playbackSchema,
  queue: z.array(queueEntrySchema),
  members: z.array(memberSchema),
  settings: roomSettingsSchema,
  /** The "Up next" countdown, while one runs (absent or null otherwise). */
  upNext: upNextSchema.nullable().optional(),
  /**
   * Reactions pinned to the items' timelines (faint marks on the seek bar), newest last, for the
   * room's life. No user ids: what the room reacted, where, not who.
   */
  reactions: z.array(reactionMarkSchema).optional(),
});
export type RoomSnapshot = z.infer<typeof roomSnapshotSchema>;

// ---------------------------------------------------------------------------------------------
// Client → server
// ---------------------------------------------------------------------------------------------

export const helloSchema = z.object({
  type: z.literal('hello'),
  /** Any integer parses, so a mismatch is answered with `unsupported_version` rather than `bad_frame`. */
  protocolVersion: z.number().int(),
  /** Session token from `/api/auth/*`. Never put it in the URL. */
  token: z.string().min(1).max(4096),
  roomId: roomIdSchema,
  /** The Discord activity instance the client runs in. */
  instanceId: z.string().min(1).max(128).optional(),
  /** The last seq the client applied, when it reconnects. */
  lastSeq: z.number().int().min(0).optional(),
});

export const pingSchema = z.object({
  type: z.literal('ping'),
  id: z.number().int().min(0),
  /** Client clock when sent. */
  t0: z.number().finite(),
  /**
   * The player's latest measured drift from the room (ms, player − expected), sent while it plays in
   * step; absent otherwise. Only for operators' metrics: the server never acts on it.
   */
  driftMs: z.number().finite().min(-86_400_000).max(86_400_000).optional(),
});

const commandId = z.string().min(1).max(64);
const command = <Op extends string, Shape extends z.ZodRawShape>(op: Op, shape: Shape) =>
  z.object({ type: z.literal('command'), id: commandId, op: z.literal(op), ...shape });

export const commandSchemas = {
  play: command('play', {}),
  pause: command('pause', {}),
  seek: command('seek', { positionMs: positionSchema }),
  load: command('load', { itemId: itemIdSchema }),
  'queue.add': command('queue.add', { itemId: itemIdSchema }),
  'queue.remove': command('queue.remove', { entryId: entryIdSchema }),
  /** `index` is a position in the queue; the current item (index 0) stays where it is. */
  'queue.move': command('queue.move', {
    entryId: entryIdSchema,
    index: z.number().int().min(1).max(PROTOCOL_LIMITS.maxQueueLength),
  }),
  next: command('next', {}),
  rate: command('rate', { rate: z.number().min(PROTOCOL_LIMITS.minRate).max(PROTOCOL_LIMITS.maxRate) }),
  /** Hosts only; at least one field. Each field present changes that setting. */
  settings: command('settings', {
    control: controlModeSchema.optional(),
    autoplayNext: z.boolean().optional(),
    reactions: z.boolean().optional(),
  }),
  /** Stops the "Up next" countdown: the next episode does not start. */
  'upnext.cancel': command('upnext.cancel', {}),
  /** Starts the announced next episode now. */
  'upnext.play': command('upnext.play', {}),
  /** Any member: an emoji floats over everyone's picture and marks the current item's timeline. */
  react: command('react', { emoji: reactionEmojiSchema }),
  /** The remote (hosts mode rules, any mode): a host makes another member a host. */
  'host.grant': command('host.grant', { userId: z.string().min(1).max(128) }),
  /** A host gives up being host (someone else is handed the role if nobody would hold it). */
  'host.resign': command('host.resign', {}),
  /** A host passes the remote: the member becomes the only host, every other host a member. */
  'remote.pass': command('remote.pass', { userId: z.string().min(1).max(128) }),
  /** A member asks the hosts for control (hosts mode). */
  'control.request': command('control.request', {}),
  /** A host answers a member's request: accepted makes them a host. */
  'control.answer': command('control.answer', { userId: z.string().min(1).max(128), accept: z.boolean() }),
  /** A host (or a guild admin) removes a member from the room for its life. */
  'member.remove': command('member.remove', { userId: z.string().min(1).max(128) }),
} as const;

export const commandSchema = z.discriminatedUnion('op', [
  commandSchemas.play,
  commandSchemas.pause,
  commandSchemas.seek,
  commandSchemas.load,
  commandSchemas['queue.add'],
  commandSchemas['queue.remove'],
  commandSchemas['queue.move'],
  commandSchemas.next,
  commandSchemas.rate,
  commandSchemas.settings,
  commandSchemas['upnext.cancel'],
  commandSchemas['upnext.play'],
  commandSchemas.react,
  commandSchemas['host.grant'],
  commandSchemas['host.resign'],
  commandSchemas['remote.pass'],
  commandSchemas['control.request'],
  commandSchemas['control.answer'],
  commandSchemas['member.remove'],
]);
export type Command = z.infer<typeof commandSchema>;
export type CommandOp = Command['op'];
export const COMMAND_OPS = Object.keys(commandSchemas) as CommandOp[];
/** A command without its envelope (`type`, `id`): what the bot API and the engine take. */
type WithoutEnvelope<C> = C extends unknown ? Omit<C, 'type' | 'id'> : never;
export type CommandIntent = WithoutEnvelope<Command>;

export const reportSchema = z.object({
  type: z.literal('report'),
  state: z.enum(['ready', 'buffering', 'away']),
  positionMs: positionSchema,
  /** The playback rev this report refers to; reports about an older rev are ignored. */
  rev: z.number().int().min(0),
  /**
   * Buffering on this viewer's own account (they changed their quality, or their player retried): the
   * room does not wait for them; they catch up alone, as a late joiner does.
   */
  alone: z.boolean().optional(),
});
export type ReportState = z.infer<typeof reportSchema>['state'];

export const clientMessageSchema = z.discriminatedUnion('type', [helloSchema, pingSchema, commandSchema, reportSchema]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type Hello = z.infer<typeof helloSchema>;
export type Ping = z.infer<typeof pingSchema>;
export type Report = z.infer<typeof reportSchema>;

// ---------------------------------------------------------------------------------------------
// Server → client
// ---------------------------------------------------------------------------------------------

/**
 * Error reasons, each with the message sent when there is nothing more specific to say.
 * Errors are values: a rejected frame or command gets an `error` frame and changes nothing.
 */
export const ERROR_REASONS = {
  bad_frame: 'The frame is not a valid protocol message.',
  unsupported_version: `This server speaks protocol version ${PROTOCOL_VERSION}.`,
  unauthorized: 'The session token is missing, invalid or expired.',
  forbidden: 'You may not join this room.',
  not_joined: 'Send hello first.',
  already_joined: 'This connection has already joined a room.',
  not_allowed: 'Only hosts may do that in this room.',
  no_item: 'Nothing is loaded.',
  unknown_item: 'No such item in the library.',
  unknown_entry: 'No such queue entry.',
  invalid_move: 'The current item stays at the head of the queue; skip it or load another instead.',
  queue_full: `The queue holds at most ${PROTOCOL_LIMITS.maxQueueLength} entries.`,
  rate_limited: 'Too many messages; slow down.',
  conflict: 'The room is busy; try again.',
  unavailable: 'The room service is unavailable; try again shortly.',
  internal: 'Something went wrong on our side.',
  no_up_next: 'No next episode is announced.',
  reactions_off: 'Reactions are off in this room.',
  unknown_member: 'No such member in this room.',
  removed: 'You were removed from this watch party.',
} as const;
export type ErrorCode = keyof typeof ERROR_REASONS;
export const errorCodeSchema = z.enum(Object.keys(ERROR_REASONS) as [ErrorCode, ...ErrorCode[]]);

/**
 * WebSocket close codes. `reconnect` says whether a client may reconnect on its own (with backoff);
 * `false` means retrying with the same credentials and build cannot succeed.
 */
export const CLOSE_CODES = {
  /** The server is shutting down or restarting (standard code): reconnect, another instance will answer. */
  serviceRestart: { code: 1012, reconnect: true },
  /** Too many invalid frames. */
  badFrames: { code: 4000, reconnect: false },
  /** The token was missing, invalid or expired: sign in again first. */
  unauthorized: { code: 4001, reconnect: false },
  /** No `hello` within `helloTimeoutMs`. */
  helloTimeout: { code: 4002, reconnect: true },
  /** Not allowed in this room. */
  forbidden: { code: 4003, reconnect: false },
  /** The client speaks another protocol version: reload the app. */
  unsupportedVersion: { code: 4004, reconnect: false },
  /** Sustained flooding past the per-socket rate limit. */
  rateLimited: { code: 4005, reconnect: true },
  /** The server could not join the room (its storage is unreachable). */
  unavailable: { code: 4006, reconnect: true },
  /** The room was ended (the bot's /stop): the party is over, not an error; reconnecting would start a new one. */
  roomEnded: { code: 4007, reconnect: false },
} as const;
export type CloseReason = keyof typeof CLOSE_CODES;

/** Whether a client may reconnect after a close with this code (standard codes included). */
export function mayReconnect(code: number): boolean {
  for (const entry of Object.values(CLOSE_CODES)) if (entry.code === code) return entry.reconnect;
  // 1000 is a deliberate close by one side; 1008 and 1009 are policy and size violations.
  return code !== 1000 && code !== 1008 && code !== 1009;
}

export const welcomeSchema = z.object({
  type: z.literal('welcome'),
  protocolVersion: z.literal(PROTOCOL_VERSION),
  you: z.object({
    userId: z.string(),
    name: z.string(),
    avatar: z.string().nullable(),
    /** This connection, for logs and bug reports. */
    connectionId: z.string(),
  }),
  /** Server clock when the welcome was sent (a first, coarse clock offset; pings refine it). */
  serverTime: serverTimeSchema,
  snapshot: roomSnapshotSchema,
  /** True when the client sent `lastSeq` and its member was still in the room (no leave was broadcast). */
  resumed: z.boolean(),
});

export const pongSchema = z.object({
  type: z.literal('pong'),
  id: z.number().int().min(0),
  t0: z.number().finite(),
  /** Server clock when the ping arrived. */
  t1: serverTimeSchema,
  /** Server clock when the pong left. */
  t2: serverTimeSchema,
});

/** Why a broadcast happened, for the UI ("Alice paused"). */
export const causeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('command'), op: z.enum(COMMAND_OPS as [CommandOp, ...CommandOp[]]), userId: z.string() }),
  z.object({
    type: z.literal('member'),
    event: z.enum(['joined', 'returned', 'away', 'left', 'state']),
    userId: z.string(),
  }),
  z.object({ type: z.literal('system'), event: z.enum(['wait-timeout', 'item-ended', 'restored', 'up-next']) }),
]);
export type Cause = z.infer<typeof causeSchema>;

/** The sections of the snapshot a broadcast replaces; a section that did not change is absent. */
export const roomChangesSchema = roomSnapshotSchema
  .pick({ playback: true, queue: true, members: true, settings: true, upNext: true, reactions: true })
  .partial();
export type RoomChanges = z.infer<typeof roomChangesSchema>;

/**
 * A state broadcast. `seq` is exactly one more than the previous broadcast of the room: a client
 * that sees anything else has missed something (the server sends a `snapshot` rather than a gap).
 */
export const stateSchema = z.object({
  type: z.literal('state'),
  seq: z.number().int().min(1),
  changes: roomChangesSchema,
  cause: causeSchema,
});

/** The whole room, sent instead of broadcasts the connection could not get in order. */
export const snapshotMessageSchema = z.object({
  type: z.literal('snapshot'),
  reason: z.enum(['gap', 'resync']),
  snapshot: roomSnapshotSchema,
});

export const ackSchema = z.object({ type: z.literal('ack'), id: commandId });

export const errorMessageSchema = z.object({
  type: z.literal('error'),
  /** The command id, when the error answers a command. */
  id: commandId.optional(),
  code: errorCodeSchema,
  message: z.string(),
});

export const serverMessageSchema = z.discriminatedUnion('type', [
  welcomeSchema,
  pongSchema,
  stateSchema,
  snapshotMessageSchema,
  ackSchema,
  errorMessageSchema,
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type Welcome = z.infer<typeof welcomeSchema>;
export type Pong = z.infer<typeof pongSchema>;
export type StateMessage = z.infer<typeof stateSchema>;
export type SnapshotMessage = z.infer<typeof snapshotMessageSchema>;
export type ErrorMessage = z.infer<typeof errorMessageSchema>;

/** Applies a broadcast to a snapshot: each section present replaces the old one. */
export function applyState(snapshot: RoomSnapshot, message: StateMessage): RoomSnapshot {
  return { ...snapshot, ...message.changes, seq: message.seq };
}

// ---------------------------------------------------------------------------------------------
// REST DTOs
// ---------------------------------------------------------------------------------------------

/** `GET /api/rooms/:roomId` */
export const roomResponseSchema = z.object({ serverTime: serverTimeSchema, snapshot: roomSnapshotSchema });
export type RoomResponse = z.infer<typeof roomResponseSchema>;

export const sessionUserSchema = z.object({
  /** users.id */
  id: z.string(),
  /** A Discord snowflake, or `guest:<uuid>` in dev auth mode. */
  discordId: z.string(),
  name: z.string(),
  avatar: z.string().nullable(),
});
export type SessionUser = z.infer<typeof sessionUserSchema>;

/** `POST /api/auth/dev` body. */
export const devAuthRequestSchema = z.object({ name: z.string().trim().min(1).max(32) });

/** `POST /api/auth/dev` (and the other sign-ins): a short-lived session token for `Authorization: Bearer` and `hello`. */
export const sessionResponseSchema = z.object({
  token: z.string(),
  user: sessionUserSchema,
  /** ISO 8601. */
  expiresAt: z.string(),
});
export type SessionResponse = z.infer<typeof sessionResponseSchema>;

/** `POST /api/auth/discord` body: the code from the Embedded App SDK's `authorize`. */
export const discordAuthRequestSchema = z.object({ code: z.string().trim().min(1).max(512) });

/** `POST /api/auth/discord`: a session like the dev sign-in's, plus Discord's access token for the SDK's `authenticate`. */
export const discordAuthResponseSchema = sessionResponseSchema.extend({ accessToken: z.string() });
export type DiscordAuthResponse = z.infer<typeof discordAuthResponseSchema>;

/** `GET /api/me` */
export const meResponseSchema = z.object({ user: sessionUserSchema, via: z.enum(['session', 'bot']) });
export type MeResponse = z.infer<typeof meResponseSchema>;
