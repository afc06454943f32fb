import type { Quality, UpstreamRequest } from '../media/media-source.ts';
import { QUALITY_LIMITS } from '../media/media-source.ts';
import { PlexNotFoundError } from './errors.ts';
import { type PlexClientIdentity, plexHeaders } from './headers.ts';
import { PlexHttp, type PlexHttpOptions, type PlexMetrics, type PlexStream } from './http.ts';
import { type PlexLocation, plexLocation } from './network-location.ts';
import {
  decisionSchema,
  hubSearchSchema,
  identitySchema,
  metadataListSchema,
  type PlexDecision,
  type PlexIdentity,
  type PlexMetadata,
  type PlexSection,
  sectionsSchema,
} from './schemas.ts';

export interface PlexClientOptions {
  baseUrl: string;
  token: string;
  identity: PlexClientIdentity;
  metrics?: PlexMetrics;
  http?: Partial<PlexHttpOptions>;
}

export interface MetadataPage {
  items: PlexMetadata[];
  offset: number;
  total: number | null;
}

/**
 * How browsers in a Discord activity play: MP4/H.264/AAC directly, anything else as HLS
 * (MPEG-TS, H.264, AAC). Sent as a profile augmentation so Plex decides for that client.
 */
const CLIENT_PROFILE_EXTRA = [
  'add-direct-play-profile(type=videoProfile&container=mp4&videoCodec=h264&audioCodec=aac,mp3)',
  'add-transcode-target(type=videoProfile&context=streaming&protocol=hls&container=mpegts&videoCodec=h264&audioCodec=aac)',
].join('+');

/** One `POST /:/timeline`: what a playback session (the room's stream) is doing. */
export interface PlexTimelineReport {
  itemId: string;
  sessionKey: string;
  state: 'playing' | 'paused' | 'buffering' | 'stopped';
  timeMs: number;
  durationMs: number | null;
  /** With `stopped`: the session goes on with another item. */
  continuing?: boolean;
}

/** A typed client for one Plex Media Server. Errors are the typed Plex errors of ./errors.ts. */
export class PlexClient {
  readonly baseUrl: string;
  private readonly http: PlexHttp;
  private readonly token: string;
  private readonly clientIdentity: PlexClientIdentity;
  private whereWeAre: Promise<PlexLocation> | undefined;

  constructor(options: PlexClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.clientIdentity = options.identity;
    this.http = new PlexHttp(this.baseUrl, options.metrics, options.http);
  }

  /** Headers for any request to this server, token included: keep them server-side. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...plexHeaders(this.clientIdentity, this.token), ...extra };
  }

  async identity(options: { timeoutMs?: number; retry?: boolean } = {}): Promise<PlexIdentity> {
    const body = await this.http.json(
      { endpoint: 'identity', path: '/identity', headers: this.headers(), ...options },
      identitySchema,
    );
    return body.MediaContainer;
  }

  async sections(): Promise<PlexSection[]> {
    const body = await this.http.json(
      { endpoint: 'sections', path: '/library/sections', headers: this.headers() },
      sectionsSchema,
    );
    return body.MediaContainer.Directory;
  }

  /** One page of a section's top-level items (movies, shows). */
  async sectionItems(sectionId: string, start: number, size: number): Promise<MetadataPage> {
    const body = await this.http.json(
      {
        endpoint: 'section_items',
        path: `/library/sections/${encodeURIComponent(sectionId)}/all`,
        query: { 'X-Plex-Container-Start': start, 'X-Plex-Container-Size': size },
        headers: this.headers(),
      },
      metadataListSchema,
    );
    const container = body.MediaContainer;
    return { items: container.Metadata, offset: container.offset ?? start, total: container.totalSize ?? null };
  }

  async metadata(id: string): Promise<PlexMetadata> {
    const body = await this.http.json(
      {
        endpoint: 'metadata',
        path: `/library/metadata/${encodeURIComponent(id)}`,
        // Intro and credits markers come only when asked for.
        query: { includeMarkers: 1 },
        headers: this.headers(),
      },
      metadataListSchema,
    );
    const item = body.MediaContainer.Metadata[0];
    if (!item) throw new PlexNotFoundError('metadata', `Plex has no item ${id}.`, 200);
    return item;
  }

  async children(id: string): Promise<PlexMetadata[]> {
    const body = await this.http.json(
      {
        endpoint: 'children',
        path: `/library/metadata/${encodeURIComponent(id)}/children`,
        headers: this.headers(),
      },
      metadataListSchema,
    );
    return body.MediaContainer.Metadata;
  }

  /** `/hubs/search`: results grouped by type; `limit` is per hub. */
  async searchHubs(query: string, limit: number) {
    const body = await this.http.json(
      { endpoint: 'search', path: '/hubs/search', query: { query, limit }, headers: this.headers() },
      hubSearchSchema,
    );
    return body.MediaContainer.Hub;
  }

  /** A resized image through `/photo/:/transcode`; `path` is a Plex image path (`/library/metadata/1/thumb/…`). */
  async photo(path: string, width: number, height: number): Promise<PlexStream> {
    return this.http.stream({
      endpoint: 'photo',
      path: '/photo/:/transcode',
      query: { url: path, width, height, minSize: 1, upscale: 1 },
      headers: { ...this.headers(), Accept: 'image/*' },
    });
  }

  /** Absolute URL of a part file (`Part.key`) for direct play; send `headers()` with it. */
  partUrl(partKey: string): string {
    if (!partKey.startsWith('/')) throw new Error(`not a Plex part key: ${partKey}`);
    return this.http.url(partKey);
  }

  /**
   * The universal transcoder's parameters for an item at a quality, shared by the decision and
   * `start.m3u8` so Plex decides about exactly the stream we then start.
   */
  transcodeQuery(
    itemId: string,
    quality: Quality,
    sessionKey: string,
    location: PlexLocation = 'lan',
  ): Record<string, string | number> {
    const query: Record<string, string | number> = {
      path: `/library/metadata/${itemId}`,
      mediaIndex: 0,
      partIndex: 0,
      protocol: 'hls',
      directPlay: quality === 'original' ? 1 : 0,
      directStream: 1,
      directStreamAudio: 1,
      hasMDE: 1,
      location,
      subtitles: 'burn',
      subtitleSize: 100,
      audioBoost: 100,
      mediaBufferSize: 102400,
      session: sessionKey,
      transcodeSessionId: sessionKey,
    };
    if (quality !== 'original') {
      const limits = QUALITY_LIMITS[quality];
      query.videoResolution = `${limits.width}x${limits.height}`;
      query.maxVideoBitrate = limits.kbps;
      query.videoBitrate = limits.kbps;
      query.peakBitrate = limits.kbps;
    }
    return query;
  }

  /** Headers for transcode requests: the session identifier and our client profile ride along. */
  transcodeHeaders(sessionKey: string): Record<string, string> {
    return this.headers({
      'X-Plex-Session-Identifier': sessionKey,
      'X-Plex-Client-Profile-Extra': CLIENT_PROFILE_EXTRA,
    });
  }

  /** How Plex sees this server's address (`lan` on a private network), looked up once. */
  location(): Promise<PlexLocation> {
    this.whereWeAre ??= plexLocation(this.baseUrl);
    return this.whereWeAre;
  }

  async decision(itemId: string, quality: Quality, sessionKey: string): Promise<PlexDecision> {
    const body = await this.http.json(
      {
        endpoint: 'decision',
        path: '/video/:/transcode/universal/decision',
        query: this.transcodeQuery(itemId, quality, sessionKey, await this.location()),
        headers: this.transcodeHeaders(sessionKey),
      },
      decisionSchema,
    );
    return body.MediaContainer;
  }

  /** URL of the HLS master playlist that starts the transcode session (fetched by the stream proxy). */
  startUrl(itemId: string, quality: Quality, sessionKey: string, location: PlexLocation = 'lan'): string {
    return this.http.url(
      '/video/:/transcode/universal/start.m3u8',
      this.transcodeQuery(itemId, quality, sessionKey, location),
    );
  }

  /**
   * The request that asks Plex to fall back (hardware to software, HEVC to H.264) when a transcode
   * failed to start; Plex answers 404 for an unknown session and 412 when it has nothing left to try.
   */
  fallbackRequest(sessionKey: string): UpstreamRequest {
    return {
      method: 'POST',
      url: this.http.url('/video/:/transcode/universal/fallback', { transcodeSessionId: sessionKey }),
      headers: this.transcodeHeaders(sessionKey),
    };
  }

  /**
   * Tells Plex what a playback session is doing (`POST /:/timeline`), which is how it shows on the
   * dashboard and in Tautulli, and what keeps a session alive. One attempt: the next report follows.
   */
  async timeline(report: PlexTimelineReport): Promise<void> {
    await this.http.empty({
      endpoint: 'timeline',
      method: 'POST',
      path: '/:/timeline',
      query: {
        ratingKey: report.itemId,
        key: `/library/metadata/${report.itemId}`,
        state: report.state,
        time: Math.max(0, Math.round(report.timeMs)),
        duration: report.durationMs === null ? undefined : Math.round(report.durationMs),
        continuing: report.state === 'stopped' ? (report.continuing ? 1 : 0) : undefined,
      },
      headers: this.headers({ 'X-Plex-Session-Identifier': report.sessionKey }),
      retry: false,
    });
  }

  /** The request that stops a transcode session (kept as data in stream descriptors). */
  stopRequest(sessionKey: string): UpstreamRequest {
    return {
      method: 'GET',
      url: this.http.url('/video/:/transcode/universal/stop', { session: sessionKey }),
      headers: this.headers(),
    };
  }

  /** Tells Plex a transcode session is still wanted (a paused room asks for no segments). */
  pingRequest(sessionKey: string): UpstreamRequest {
    return {
      method: 'GET',
      url: this.http.url('/video/:/transcode/universal/ping', { session: sessionKey }),
      headers: this.headers(),
    };
  }

  /** Stops a transcode session; one that is already gone counts as stopped. */
  async stopTranscode(sessionKey: string): Promise<void> {
    try {
      await this.http.empty({
        endpoint: 'transcode_stop',
        path: '/video/:/transcode/universal/stop',
        query: { session: sessionKey },
        headers: this.headers(),
      });
    } catch (error) {
      if (!(error instanceof PlexNotFoundError)) throw error;
    }
  }
}
