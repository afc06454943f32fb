/**
 * The admin dashboard's one read: `GET /api/admin/overview`. The server aggregates what every
 * instance publishes (through Redis when several share it) with the rooms in the room store; the
 * page at `/admin` draws it. Rates are per second over the instances' last few seconds.
 */
import { z } from 'zod';
import { memberRoleSchema, memberStateSchema, playbackStatusSchema } from './protocol.ts';

/** Who the overview was cut for: the operator (ADMIN_TOKEN), dev mode, or a guild admin's guilds. */
export const adminScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('operator') }),
  z.object({ kind: z.literal('dev') }),
  z.object({ kind: z.literal('guilds'), guildIds: z.array(z.string()) }),
]);

export const adminMemberSchema = z.object({
  userId: z.string(),
  name: z.string(),
  role: memberRoleSchema,
  state: memberStateSchema,
  /** The member's latest reported drift from the room's expected position (ms); null before any report. */
  driftMs: z.number().nullable(),
});

export const adminRoomSchema = z.object({
  roomId: z.string(),
  guildId: z.string().nullable(),
  status: playbackStatusSchema,
  item: z.object({ itemId: z.string(), title: z.string() }).nullable(),
  positionMs: z.number(),
  /** Qualities the room's members stream right now, on any instance. */
  qualities: z.array(z.string()),
  members: z.array(adminMemberSchema),
});

export const adminTranscodeSchema = z.object({
  roomId: z.string(),
  itemId: z.string(),
  quality: z.string(),
  instanceId: z.string(),
});

/** The live rates of one instance, or of all of them summed. */
export const adminRatesSchema = z.object({
  /** Stream proxy bytes sent to clients per second. */
  bytesPerSecond: z.number(),
  /** Cache hits / (hits + misses) over the window; null when nothing was read. */
  cacheHitRate: z.number().nullable(),
  httpPerSecond: z.number(),
  /** Share of HTTP answers that were 5xx; null when there were none at all. */
  httpErrorRate: z.number().nullable(),
  wsMessagesPerSecond: z.number(),
  /** Share of inbound socket frames that were invalid or rate limited, or error frames sent; null without traffic. */
  wsErrorRate: z.number().nullable(),
});

export const adminInstanceSchema = z.object({
  id: z.string(),
  version: z.string(),
  startedAt: z.number(),
  uptimeSeconds: z.number(),
  /** When it last published (epoch ms). */
  seenAt: z.number(),
  sockets: z.number(),
  rooms: z.number(),
  transcodes: z.number(),
  rates: adminRatesSchema,
});

/** One minute of the last hour, summed over the instances. */
export const adminHistoryPointSchema = z.object({
  /** Start of the minute (epoch ms). */
  t: z.number(),
  bytesPerSecond: z.number(),
  cacheHitRate: z.number().nullable(),
  httpErrorRate: z.number().nullable(),
  wsErrorRate: z.number().nullable(),
  rooms: z.number(),
  members: z.number(),
});

export const adminOverviewSchema = z.object({
  generatedAt: z.number(),
  scope: adminScopeSchema,
  /** `redis`: every instance on the shared Redis; `local`: this instance alone (no REDIS_URL). */
  source: z.enum(['redis', 'local']),
  rooms: z.array(adminRoomSchema),
  transcodes: z.array(adminTranscodeSchema),
  /** Live rates summed over the instances. */
  totals: adminRatesSchema,
  /** Only for the operator and in dev mode: the instances themselves are not a guild's business. */
  instances: z.array(adminInstanceSchema).nullable(),
  history: z.array(adminHistoryPointSchema),
});

export type AdminScope = z.infer<typeof adminScopeSchema>;
export type AdminRoom = z.infer<typeof adminRoomSchema>;
export type AdminMember = z.infer<typeof adminMemberSchema>;
export type AdminTranscode = z.infer<typeof adminTranscodeSchema>;
export type AdminRates = z.infer<typeof adminRatesSchema>;
export type AdminInstance = z.infer<typeof adminInstanceSchema>;
export type AdminHistoryPoint = z.infer<typeof adminHistoryPointSchema>;
export type AdminOverview = z.infer<typeof adminOverviewSchema>;
