/**
 * zod schemas for the parts of Plex answers we read. They accept what real servers send (numbers
 * that arrive as strings, arrays that are absent when empty) and drop everything else, so a field
 * we never use cannot break parsing. Shapes follow the community OpenAPI description of the Plex
 * API (LukeHagar/plex-api-spec); the PIN endpoints and `/children` are not in it and follow plex.tv.
 */
import { z } from 'zod';

/** A number Plex may send as a string ("1080"); absent or unparseable becomes undefined. */
const num = z.preprocess((value) => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}, z.number().optional());

/** Ids are opaque strings, though Plex often sends numbers. */
const id = z.union([z.string().min(1), z.number()]).transform(String);
const text = z.string().optional();
const list = <T extends z.ZodType>(item: T) => z.array(item).optional().default([]);

export const plexStreamSchema = z.object({
  id: id.optional(),
  streamType: num,
  /** Sidecar streams (external subtitles) have a key: `/library/streams/{id}`. */
  key: text,
  codec: text,
  format: text,
  language: text,
  languageTag: text,
  languageCode: text,
  displayTitle: text,
  selected: z.boolean().optional(),
  decision: text,
});

export const plexPartSchema = z.object({
  id: id,
  key: z.string().startsWith('/'),
  size: num,
  duration: num,
  container: text,
  decision: text,
  Stream: list(plexStreamSchema),
});

export const plexMediaSchema = z.object({
  id: id.optional(),
  duration: num,
  bitrate: num,
  width: num,
  height: num,
  videoResolution: z.union([z.string(), z.number()]).transform(String).optional(),
  container: text,
  videoCodec: text,
  audioCodec: text,
  Part: list(plexPartSchema),
});

const plexTagSchema = z.object({ tag: z.string() });

/** An intro, credits, commercial… stretch (`includeMarkers=1`); offsets in ms. */
export const plexMarkerSchema = z.object({
  type: z.string(),
  startTimeOffset: z.number().min(0),
  endTimeOffset: z.number().min(0),
  final: z.boolean().optional(),
});

export const plexMetadataSchema = z.object({
  ratingKey: id,
  key: z.string(),
  type: z.string(),
  title: z.string(),
  year: num,
  summary: text,
  duration: num,
  thumb: text,
  art: text,
  parentThumb: text,
  grandparentThumb: text,
  grandparentArt: text,
  parentRatingKey: id.optional(),
  parentTitle: text,
  grandparentTitle: text,
  index: num,
  parentIndex: num,
  childCount: num,
  leafCount: num,
  contentRating: text,
  librarySectionID: id.optional(),
  Genre: list(plexTagSchema),
  Media: list(plexMediaSchema),
  Marker: list(plexMarkerSchema),
});
export type PlexMetadata = z.infer<typeof plexMetadataSchema>;

/** `{ MediaContainer: {…} }`, the envelope of every Media Server answer. */
const envelope = <T extends z.ZodRawShape>(shape: T) => z.object({ MediaContainer: z.object(shape) });

export const identitySchema = envelope({
  machineIdentifier: z.string().min(1),
  version: text,
  claimed: z.boolean().optional(),
});
export type PlexIdentity = z.infer<typeof identitySchema>['MediaContainer'];

export const plexSectionSchema = z.object({
  key: id,
  title: z.string(),
  type: z.string(),
  uuid: text,
  thumb: text,
  art: text,
});
export type PlexSection = z.infer<typeof plexSectionSchema>;

export const sectionsSchema = envelope({ Directory: list(plexSectionSchema) });

export const metadataListSchema = envelope({
  size: num,
  totalSize: num,
  offset: num,
  Metadata: list(plexMetadataSchema),
});

export const plexHubSchema = z.object({
  type: z.string(),
  hubIdentifier: text,
  title: text,
  size: num,
  Metadata: list(plexMetadataSchema),
});

export const hubSearchSchema = envelope({ Hub: list(plexHubSchema) });

export const decisionSchema = envelope({
  generalDecisionCode: num,
  generalDecisionText: text,
  directPlayDecisionCode: num,
  directPlayDecisionText: text,
  transcodeDecisionCode: num,
  transcodeDecisionText: text,
  Metadata: list(plexMetadataSchema),
});
export type PlexDecision = z.infer<typeof decisionSchema>['MediaContainer'];

// ---------------------------------------------------------------------------------------------
// plex.tv
// ---------------------------------------------------------------------------------------------

export const pinSchema = z.object({
  id: z.number().int(),
  code: z.string().min(1),
  expiresAt: z.string().nullable().optional(),
  expiresIn: num,
  authToken: z.string().nullable().optional(),
});
export type PlexPin = z.infer<typeof pinSchema>;

export const connectionSchema = z.object({
  protocol: z.enum(['http', 'https']),
  address: z.string(),
  port: num,
  uri: z.string().url(),
  local: z.boolean(),
  relay: z.boolean(),
  IPv6: z.boolean().optional(),
});
export type PlexConnection = z.infer<typeof connectionSchema>;

export const resourceSchema = z.object({
  name: z.string(),
  product: z.string(),
  productVersion: text,
  clientIdentifier: z.string().min(1),
  provides: z.string(),
  owned: z.boolean().optional().default(false),
  accessToken: z.string().nullable().optional(),
  httpsRequired: z.boolean().optional().default(false),
  presence: z.boolean().optional(),
  connections: list(connectionSchema),
});
export type PlexResource = z.infer<typeof resourceSchema>;

export const resourcesSchema = z.array(resourceSchema);
