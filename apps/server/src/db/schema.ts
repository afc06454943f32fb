import { sql } from 'drizzle-orm';
import {
  bigserial,
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

/** A linked Plex Media Server; guild_id null means the server applies to every guild. */
export const plexServers = pgTable(
  'plex_servers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    guildId: uuid('guild_id').references(() => guilds.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    baseUrl: text('base_url').notNull(),
    machineId: text('machine_id').notNull(),
    /** AES-256-GCM: base64(iv | tag | ciphertext). Never the plain token. */
    encryptedToken: text('encrypted_token').notNull(),
    linkedBy: uuid('linked_by').references(() => users.id, { onDelete: 'set null' }),
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
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.itemId] })],
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
