import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());

/** People who signed in: Discord users, or guests in dev auth mode (discord_id `guest:<uuid>`). */
export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  discordId: text('discord_id').notNull().unique(),
  name: text('name').notNull(),
  avatar: text('avatar'),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export interface GuildSettings {
  djRoleId?: string | null;
  defaultControl?: 'everyone' | 'hosts';
}

export const guilds = pgTable('guilds', {
  id: uuid('id').primaryKey().defaultRandom(),
  discordGuildId: text('discord_guild_id').notNull().unique(),
  settings: jsonb('settings').$type<GuildSettings>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * A plex.tv account a server was linked with: its token (sealed like server tokens) is what asks
 * plex.tv for a server's current access token. `jwt` tokens are short-lived (7 days) and refreshed
 * with this installation's device key; `legacy` ones are the long-lived tokens of older links.
 */
export const plexAccounts = pgTable('plex_accounts', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** plex.tv's account uuid (`/api/v2/user`). */
  plexUuid: text('plex_uuid').notNull().unique(),
  username: text('username').notNull(),
  encryptedToken: text('encrypted_token').notNull(),
  tokenKind: text('token_kind').$type<'jwt' | 'legacy'>().notNull(),
  tokenExpiresAt: timestamp('token_expires_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** This installation's Ed25519 device key for Plex JWTs (the private key sealed like tokens). */
export const plexDeviceKeys = pgTable('plex_device_keys', {
  kid: text('kid').primaryKey(),
  encryptedPrivateKey: text('encrypted_private_key').notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, string>>().notNull(),
  createdAt: createdAt(),
});

/** A linked Plex Media Server; guild_id null means the server applies to every guild. */
export const plexServers = pgTable(
  'plex_servers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    guildId: uuid('guild_id').references(() => guilds.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    baseUrl: text('base_url').notNull(),
    machineId: text('machine_id').notNull(),
    /** Sealed by lib/sealing.ts (purpose plex-token); older rows `v1:` AES-256-GCM. Never the plain token. */
    encryptedToken: text('encrypted_token').notNull(),
    linkedBy: uuid('linked_by').references(() => users.id, { onDelete: 'set null' }),
    /** The account that linked it (null for links made before accounts were kept). */
    accountId: uuid('account_id').references(() => plexAccounts.id, { onDelete: 'set null' }),
    /** False for a friend's server shared with that account: it is reached with its own access token. */
    owned: boolean('owned').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('plex_servers_guild_machine_idx').on(t.guildId, t.machineId)],
);

export interface WatchedItem {
  itemId: string;
  title: string;
  startedAt: string;
}

export const watchSessions = pgTable(
  'watch_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    roomId: text('room_id').notNull(),
    instanceId: text('instance_id'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    items: jsonb('items').$type<WatchedItem[]>().notNull().default([]),
  },
  (t) => [index('watch_sessions_room_idx').on(t.roomId, t.startedAt)],
);

/** "Continue watching": the last position a user reached in an item. */
export const playProgress = pgTable(
  'play_progress',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    itemId: text('item_id').notNull(),
    positionMs: integer('position_ms').notNull(),
    durationMs: integer('duration_ms'),
    /** Past the credits (or 95 %): watched, no longer "continue watching". */
    watched: boolean('watched').notNull().default(false),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.itemId] })],
);

/**
 * Where a guild's rooms left each item ("Continue watching" for the guild, and the "Resume from"
 * offer). `scope` is the Discord guild id, or `standalone` for dev rooms.
 */
export const guildProgress = pgTable(
  'guild_progress',
  {
    scope: text('scope').notNull(),
    itemId: text('item_id').notNull(),
    title: text('title').notNull(),
    positionMs: integer('position_ms').notNull(),
    durationMs: integer('duration_ms'),
    watched: boolean('watched').notNull().default(false),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.itemId] }), index('guild_progress_recent_idx').on(t.scope, t.updatedAt)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    actorId: uuid('actor_id').references(() => users.id, { onDelete: 'set null' }),
    guildId: uuid('guild_id').references(() => guilds.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_guild_idx').on(t.guildId, t.createdAt)],
);

/**
 * The durable copy of each live room's lasting state (the RoomStore holds the live one), written
 * behind it: a restart, or a Redis that lost its data, restores the party from here.
 */
export const rooms = pgTable(
  'rooms',
  {
    roomId: text('room_id').primaryKey(),
    /** The room's incarnation: a room ended and created again is a new epoch. */
    epoch: text('epoch').notNull(),
    seq: integer('seq').notNull(),
    /** The RoomRecord as the store held it. */
    state: jsonb('state').$type<Record<string, unknown>>().notNull(),
    /** Last time an instance holding the room vouched for it: the restart instant when it was playing. */
    savedAt: timestamp('saved_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('rooms_saved_at_idx').on(t.savedAt)],
);
