/**
 * REST shapes of the library (`/api/library/*`) and of Plex linking (`/api/plex/*`). Images are
 * URLs of the server's signed art proxy (`/api/art/<id>`); nothing here ever carries a Plex
 * address, path or token.
 */
import { z } from 'zod';
import { itemIdSchema } from './protocol.ts';

export const LIBRARY_LIMITS = {
  defaultPageSize: 50,
  maxPageSize: 200,
  defaultSearchLimit: 20,
  maxSearchLimit: 50,
  maxQueryLength: 200,
} as const;

/**
 * The words of a search or a title, for matching: lower case, accents and punctuation dropped, so
 * "deep-blue" and "Deep Blue" are the same two words.
 */
export function searchWords(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** A Discord guild id. */
export const guildIdSchema = z.string().regex(/^\d{5,25}$/, 'must be a Discord guild id');

/** Which library answered: a Plex server, or the built-in demo clips. */
export const librarySourceSchema = z.object({
  kind: z.enum(['plex', 'demo']),
  name: z.string(),
});

export const librarySectionSchema = z.object({
  id: z.string(),
  title: z.string(),
  type: z.enum(['movie', 'show', 'other']),
});
export type LibrarySectionDto = z.infer<typeof librarySectionSchema>;

export const libraryItemSchema = z.object({
  id: itemIdSchema,
  type: z.enum(['movie', 'show', 'season', 'episode', 'other']),
  title: z.string(),
  year: z.number().int().nullable(),
  summary: z.string().nullable(),
  durationMs: z.number().nullable(),
  /** Poster (or episode frame), as `/api/art/<id>`. */
  thumb: z.string().nullable(),
  /** Background art, as `/api/art/<id>`. */
  art: z.string().nullable(),
  parentId: z.string().nullable(),
  parentTitle: z.string().nullable(),
  grandparentTitle: z.string().nullable(),
  index: z.number().int().nullable(),
  parentIndex: z.number().int().nullable(),
  childCount: z.number().int().nullable(),
  /** Movies and episodes play; shows and seasons are browsed (`/children`). */
  playable: z.boolean(),
});
export type LibraryItemDto = z.infer<typeof libraryItemSchema>;

/** An intro or credits stretch of a movie or episode (from Plex's `includeMarkers`), in ms. */
export const markerSchema = z.object({
  type: z.enum(['intro', 'credits']),
  startMs: z.number().min(0),
  endMs: z.number().min(0),
  /** The last credits: nothing of the story follows. */
  final: z.boolean(),
});
export type MarkerDto = z.infer<typeof markerSchema>;

export const libraryItemDetailSchema = libraryItemSchema.extend({
  contentRating: z.string().nullable(),
  genres: z.array(z.string()),
  media: z
    .object({
      container: z.string().nullable(),
      videoCodec: z.string().nullable(),
      audioCodec: z.string().nullable(),
      width: z.number().nullable(),
      height: z.number().nullable(),
      bitrateKbps: z.number().nullable(),
    })
    .nullable(),
  /** Intro and credits, in playing order; empty when the library has none. */
  markers: z.array(markerSchema),
});
export type LibraryItemDetailDto = z.infer<typeof libraryItemDetailSchema>;

export const sectionsResponseSchema = z.object({
  source: librarySourceSchema,
  sections: z.array(librarySectionSchema),
});

export const itemsQuerySchema = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(LIBRARY_LIMITS.maxPageSize).default(LIBRARY_LIMITS.defaultPageSize),
  guildId: guildIdSchema.optional(),
});

export const itemPageSchema = z.object({
  items: z.array(libraryItemSchema),
  /** Pass back as `cursor` for the next page; null on the last one. */
  nextCursor: z.string().nullable(),
  total: z.number().int().nullable(),
});
export type ItemPageDto = z.infer<typeof itemPageSchema>;

export const searchQuerySchema = z.object({
  q: z.string().trim().min(1).max(LIBRARY_LIMITS.maxQueryLength),
  limit: z.coerce.number().int().min(1).max(LIBRARY_LIMITS.maxSearchLimit).default(LIBRARY_LIMITS.defaultSearchLimit),
  guildId: guildIdSchema.optional(),
});

export const itemListSchema = z.object({ items: z.array(libraryItemSchema) });

export const libraryQuerySchema = z.object({ guildId: guildIdSchema.optional() });

// ---------------------------------------------------------------------------------------------
// Resume and "Continue watching"
// ---------------------------------------------------------------------------------------------

/** Where the guild's rooms left an item. */
export const progressSchema = z.object({
  positionMs: z.number().min(0),
  durationMs: z.number().nullable(),
  /** ISO 8601. */
  updatedAt: z.string(),
});
export type ProgressDto = z.infer<typeof progressSchema>;

/** `GET /api/library/continue`: items left part-way, newest first (watched ones are gone). */
export const continueWatchingSchema = z.object({
  items: z.array(z.object({ item: libraryItemSchema, progress: progressSchema })),
});
export type ContinueWatchingDto = z.infer<typeof continueWatchingSchema>;

/** `GET /api/library/items/:id/resume`: null when the item was never left part-way (or was watched). */
export const resumeResponseSchema = z.object({ resume: progressSchema.nullable() });

// ---------------------------------------------------------------------------------------------
// Plex linking (admins)
// ---------------------------------------------------------------------------------------------

export const createPinRequestSchema = z.object({ guildId: guildIdSchema.optional() });

export const plexPinSchema = z.object({
  id: z.string(),
  code: z.string(),
  /** Open this for the user: they approve the code on plex.tv. */
  linkUrl: z.string(),
  expiresAt: z.string(),
});

export const plexPinStatusSchema = z.object({
  id: z.string(),
  /** `linked`: the account is known to the server (its token stays there); list its servers next. */
  status: z.enum(['pending', 'linked', 'expired']),
  expiresAt: z.string(),
});

export const discoveredServerSchema = z.object({
  machineIdentifier: z.string(),
  name: z.string(),
  owned: z.boolean(),
  /** The best connection that answered, or null when none did. */
  connection: z.enum(['local', 'remote', 'relay']).nullable(),
  secure: z.boolean(),
});

export const storedServerSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  machineIdentifier: z.string(),
  /** Null: the server applies to every guild. */
  guildId: z.string().nullable(),
  linkedAt: z.string(),
});

export const plexServersQuerySchema = z.object({
  pinId: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional(),
  guildId: guildIdSchema.optional(),
});

export const plexServersResponseSchema = z.object({
  /** Servers this app already uses. */
  stored: z.array(storedServerSchema),
  /** Servers of the account linked by `pinId` (null without one). */
  discovered: z.array(discoveredServerSchema).nullable(),
});

export const linkServerRequestSchema = z.object({
  pinId: z.string().regex(/^\d{1,15}$/),
  machineIdentifier: z.string().min(1).max(128),
  /** Omit to make it the default server for every guild. */
  guildId: guildIdSchema.optional(),
});
