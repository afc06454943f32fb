/**
 * A library the party can watch from: a Plex Media Server (PlexSource) or the built-in demo clips
 * (DemoSource). Routes, the bot API and the stream proxy see only this interface; they get a source
 * from `app.library.sourceFor(guildId)`.
 *
 * Ids: item and section ids are strings, stable for a source (Plex rating keys / section keys;
 * `demo-<name>` for the demo library). Art is named by an `ArtRef`, a source-private reference
 * (a Plex image path, a demo file name) that must never reach a client: the library routes turn
 * it into a signed, expiring `/api/art/<artId>` URL.
 *
 * ## Streams: the contract with the stream proxy
 *
 * `resolveStream(itemId, quality, { sessionKey })` answers where the bytes come from, as a
 * {@link StreamDescriptor}. Descriptors are plain JSON (no functions, no class instances) on
 * purpose: the proxy caches one per room item and quality under the `stream:` cache namespace
 * (Redis when configured), and any instance may read it back, serve from it, and stop it. Four kinds:
 *
 * - `file`: a direct-play file on the Plex server. `url` is absolute and carries no secret; send
 *   `headers` (they hold `X-Plex-Token`) on every upstream request and pass `Range`/`If-Range`
 *   through. Never forward `headers` or `url` to a client, never log `headers`.
 * - `hls`: a Plex transcode. `url` is the master playlist (`start.m3u8`); fetching it starts the
 *   transcode session named `sessionKey`. Resolve every URI in the playlists against the URL of the
 *   playlist that contains it (they stay on the same Plex origin) and send `headers` on every
 *   request. Stop the session with `stopStream(descriptor)` (or `source.stopStream`) when the room
 *   changes item or empties; `stop` holds the request that does it, so no source object is needed.
 * - `local-file`: a file on this machine (the demo library). Serve `path` with byte ranges.
 * - `local-hls`: pre-segmented HLS on this machine (the demo library). `playlist` is a path relative
 *   to `dir` (a master or a media playlist); every URI inside resolves relative to its playlist and
 *   must stay inside `dir` (refuse anything that escapes it). Nothing to stop.
 *
 * Every kind may list `subtitles`: sidecar text subtitle files ({@link SubtitleFile}) that the proxy
 * serves to clients as WebVTT under the stream's id (`subtitles-<n>.vtt`).
 *
 * Quality: `original` asks Plex for direct play and falls back to a remux/transcode (`hls`) when the
 * client profile cannot play the file; `1080p`, `720p` and `480p` always give `hls` capped at that
 * height and a matching bitrate. The demo library gives its MP4 for `original` and its HLS ladder
 * (renditions no taller than the quality) otherwise.
 *
 * `sessionKey`: pass one to name the Plex transcode session yourself (say, one per room + quality,
 * so every member shares it); without it the source makes a random one. The descriptor echoes it.
 *
 * Errors: sources throw only the source-neutral errors of ./errors.ts (item not found, unavailable,
 * unauthorized, bad upstream, invalid cursor, not playable), translating their own at this boundary;
 * the app's error handler maps them for the API.
 */
import type { Readable } from 'node:stream';
import { InvalidCursorError } from './errors.ts';

export const QUALITIES = ['original', '1080p', '720p', '480p', '360p', '240p'] as const;
export type Quality = (typeof QUALITIES)[number];

/** Height and video bitrate cap (kbps) for each transcoded quality. */
export const QUALITY_LIMITS: Record<Exclude<Quality, 'original'>, { width: number; height: number; kbps: number }> = {
  '1080p': { width: 1920, height: 1080, kbps: 8000 },
  '720p': { width: 1280, height: 720, kbps: 4000 },
  '480p': { width: 854, height: 480, kbps: 1500 },
  '360p': { width: 640, height: 360, kbps: 750 },
  '240p': { width: 426, height: 240, kbps: 400 },
};

/**
 * A sidecar subtitle file of a stream (text subtitles only: SubRip or WebVTT; the proxy serves
 * them to clients as WebVTT). Either on the Plex server (`url` + secret `headers`, like a part
 * file) or on this machine (`path`, the demo library).
 */
export type SubtitleFile = { label: string; language: string; format: 'srt' | 'vtt' } & (
  | { url: string; headers: Record<string, string> }
  | { path: string }
);

/** A request the proxy (or anyone holding a descriptor) makes upstream, with its secret headers. */
export interface UpstreamRequest {
  method: 'GET' | 'DELETE' | 'POST';
  url: string;
  headers: Record<string, string>;
}

export interface RemoteFileStream {
  kind: 'file';
  /** Absolute upstream URL of the file; no token in it. */
  url: string;
  /** Secret: carries the Plex token. Send upstream only. */
  headers: Record<string, string>;
  mimeType: string;
  sizeBytes: number | null;
  /** Sidecar subtitles viewers may turn on; none when absent. */
  subtitles?: SubtitleFile[];
}

export interface RemoteHlsStream {
  kind: 'hls';
  /** Absolute URL of the master playlist (`start.m3u8`); requesting it starts the transcode. */
  url: string;
  /** Secret: carries the Plex token. Send upstream only, on every playlist and segment request. */
  headers: Record<string, string>;
  mimeType: 'application/vnd.apple.mpegurl';
  /** The Plex transcode session this descriptor owns. */
  sessionKey: string;
  /** What stops the transcode session (used by `stopStream`). */
  stop: UpstreamRequest;
  /**
   * What tells Plex the session is still wanted (used by `pingStream`): a paused room fetches no
   * segments, and Plex ends transcodes nobody asks anything of. Absent from older cached descriptors.
   */
  ping?: UpstreamRequest;
  /**
   * What asks Plex to fall back (hardware to software encoding…) when the transcode failed to
   * start (used by `fallbackStream`). Absent from older cached descriptors.
   */
  fallback?: UpstreamRequest;
  /** Sidecar subtitles viewers may turn on; none when absent. */
  subtitles?: SubtitleFile[];
}

export interface LocalFileStream {
  kind: 'local-file';
  /** Absolute path of the file on this machine. */
  path: string;
  mimeType: string;
  sizeBytes: number;
  /** Sidecar subtitles viewers may turn on; none when absent. */
  subtitles?: SubtitleFile[];
}

export interface LocalHlsStream {
  kind: 'local-hls';
  /** Absolute directory; nothing outside it may be served. */
  dir: string;
  /** Playlist to start from, relative to `dir` (master or media playlist). */
  playlist: string;
  mimeType: 'application/vnd.apple.mpegurl';
  /** Sidecar subtitles viewers may turn on; none when absent. */
  subtitles?: SubtitleFile[];
}

/** Where a stream's bytes come from. Plain JSON: cache it, send it between instances. */
export type StreamDescriptor = RemoteFileStream | RemoteHlsStream | LocalFileStream | LocalHlsStream;

export interface ResolveStreamOptions {
  /** Names the upstream transcode session (shared by everyone watching the same room item). */
  sessionKey?: string;
}

export type SectionType = 'movie' | 'show' | 'other';
export type ItemType = 'movie' | 'show' | 'season' | 'episode' | 'other';

/** Source-private reference to an image; turned into a signed `/api/art/<id>` URL by the routes. */
export type ArtRef = string;

/** Image sizes the API serves; each source maps them to what it has. */
export const ART_SIZES = {
  poster: { width: 300, height: 450 },
  backdrop: { width: 1280, height: 720 },
  thumb: { width: 400, height: 225 },
} as const;
export type ArtSize = keyof typeof ART_SIZES;

export interface LibrarySection {
  id: string;
  title: string;
  type: SectionType;
}

export interface MediaItem {
  id: string;
  type: ItemType;
  title: string;
  year: number | null;
  summary: string | null;
  durationMs: number | null;
  /** Poster (movies, shows, seasons) or frame (episodes). */
  thumb: ArtRef | null;
  /** Background art. */
  art: ArtRef | null;
  /** Season of an episode, show of a season. */
  parentId: string | null;
  parentTitle: string | null;
  /** Show of an episode. */
  grandparentTitle: string | null;
  /** Episode number of an episode, season number of a season. */
  index: number | null;
  /** Season number of an episode. */
  parentIndex: number | null;
  /** Seasons of a show, episodes of a season. */
  childCount: number | null;
  /** Can be played directly (movies, episodes), as opposed to browsed (shows, seasons). */
  playable: boolean;
}

export interface MediaInfo {
  container: string | null;
  videoCodec: string | null;
  audioCodec: string | null;
  width: number | null;
  height: number | null;
  bitrateKbps: number | null;
}

/**
 * A stretch of a movie or an episode that viewers may want to skip: its intro, or its credits (Plex
 * finds both by analysis and serves them with `includeMarkers=1`). `final`: the last credits, after
 * which nothing of the story follows.
 */
export interface MediaMarker {
  type: 'intro' | 'credits';
  startMs: number;
  endMs: number;
  final: boolean;
}

export interface MediaItemDetail extends MediaItem {
  contentRating: string | null;
  genres: string[];
  /** The first media version, for display ("1080p · h264"). */
  media: MediaInfo | null;
  /** Intro and credits, in playing order; empty when the source has none. */
  markers: MediaMarker[];
}

export interface ItemPage {
  items: MediaItem[];
  /** Opaque; undefined on the last page. */
  nextCursor: string | undefined;
  /** Items in the section, when the source knows. */
  total: number | null;
}

export interface ArtImage {
  body: Readable;
  contentType: string;
  sizeBytes: number | null;
}

export interface MediaSource {
  /** Stable identity of this source for cache keys and art ids (`demo`, `env-<hash>`, `srv-<uuid>`). */
  readonly key: string;
  readonly kind: 'plex' | 'demo';
  /** Shown to users ("Living-room Plex", "Demo library"). */
  readonly name: string;

  sections(): Promise<LibrarySection[]>;
  items(sectionId: string, cursor: string | undefined, limit: number): Promise<ItemPage>;
  search(query: string, limit: number): Promise<MediaItem[]>;
  /** Throws ItemNotFoundError when the item is gone. */
  item(id: string): Promise<MediaItemDetail>;
  /** Seasons of a show, episodes of a season; empty for leaves. */
  children(id: string): Promise<MediaItem[]>;
  art(ref: ArtRef, size: ArtSize): Promise<ArtImage>;

  resolveStream(itemId: string, quality: Quality, options?: ResolveStreamOptions): Promise<StreamDescriptor>;
  /** Stops what `resolveStream` started (a Plex transcode); a no-op for the other kinds. */
  stopStream(descriptor: StreamDescriptor): Promise<void>;
  /**
   * Tells the upstream what the playback session `sessionKey` (one room stream) is doing, so it
   * shows on the Plex dashboard. Sources with no such notion (the demo library) leave it out.
   */
  reportTimeline?(itemId: string, sessionKey: string, report: TimelineReport): Promise<void>;
}

/** Offset cursors: opaque to clients, trivially checked here. */
export function encodeOffsetCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

export function decodeOffsetCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const match = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1]) throw new InvalidCursorError();
  return Number(match[1]);
}

/**
 * Stops a stream from its descriptor alone (any instance, no source needed). Idempotent: a session
 * that is already gone counts as stopped. Rejects only when the upstream cannot be reached.
 */
export async function stopStream(descriptor: StreamDescriptor, timeoutMs = 5000): Promise<void> {
  if (descriptor.kind !== 'hls') return;
  const { method, url, headers } = descriptor.stop;
  // headers hold the token: a redirect is never followed (fetch rejects it).
  const response = await fetch(url, { method, headers, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
}

/**
 * Asks the upstream to fall back after a transcode failed to start. True when it did (start the
 * stream again), false when it cannot (unknown session, or nothing left to fall back to).
 */
export async function fallbackStream(descriptor: StreamDescriptor, timeoutMs = 5000): Promise<boolean> {
  if (descriptor.kind !== 'hls' || descriptor.fallback === undefined) return false;
  const { method, url, headers } = descriptor.fallback;
  const response = await fetch(url, { method, headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  await response.body?.cancel();
  return response.ok;
}

/** What a viewer's player is doing, as the room sees it, for the upstream's timeline. */
export interface TimelineReport {
  state: 'playing' | 'paused' | 'buffering' | 'stopped';
  timeMs: number;
  /** With `stopped`: the room goes on with another item. */
  continuing?: boolean;
}

/**
 * Keeps a transcode session alive while its room is paused. True when the upstream still has the
 * session, false when it answered that it does not (404/410); other failures throw.
 */
export async function pingStream(descriptor: StreamDescriptor, timeoutMs = 5000): Promise<boolean> {
  if (descriptor.kind !== 'hls' || descriptor.ping === undefined) return true;
  const { method, url, headers } = descriptor.ping;
  // headers hold the token: a redirect is never followed (fetch rejects it).
  const response = await fetch(url, { method, headers, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  if (response.status === 404 || response.status === 410) return false;
  if (!response.ok) throw new Error(`the media server answered ${response.status} to a keep-alive`);
  return true;
}
