import { readFileSync } from 'node:fs';
import {
  artPath,
  episodesOf,
  type FakeCatalog,
  type FakeEpisode,
  type FakeItem,
  type FakeMovie,
  type FakePart,
  type FakePlayable,
  type FakeSeason,
  type FakeSection,
  type FakeShow,
  isPlayable,
  thumbPath,
} from './catalog.ts';
import type { FakePlexCounters, FakePlexRoute, PmsRoute } from './counters.ts';
import { ifRangeMatches, parseRange, type RequestContext } from './http.ts';
import { type FakeFallbacks, type FakeTimelines, TIMELINE_STATES, type TimelineState } from './timelines.ts';
import {
  type FakeTranscoder,
  masterPlaylist,
  mediaPlaylist,
  pickRendition,
  srtFor,
  subtitlePlaylist,
  subtitleSegment,
} from './transcoder.ts';

/** The fake Plex Media Server's routes, answering in the shapes of the real API. */

export interface Route<N extends FakePlexRoute = FakePlexRoute> {
  name: N;
  methods: string[];
  pattern: RegExp;
  /** Whether a valid token is required (401 otherwise). */
  auth: boolean;
  /** The handler reads the request body (it is not drained). */
  body?: boolean;
  handle(ctx: RequestContext, match: RegExpExecArray): Promise<void>;
}

export interface PmsState {
  catalog: FakeCatalog;
  transcoder: FakeTranscoder;
  counters: FakePlexCounters;
  machineIdentifier: string;
  friendlyName: string;
  version: string;
  /** Whether the decision endpoint grants direct play when the client allows it. */
  directPlay: boolean;
  /** Whether transcode master playlists of items with a subtitle stream carry a WebVTT rendition. */
  hlsSubtitles: boolean;
  timelines: FakeTimelines;
  fallbacks: FakeFallbacks;
}

const LIBRARY_IDENTIFIER = 'com.plexapp.plugins.library';
const MEDIA_TAG_PREFIX = '/system/bundle/media/flags/';
const MEDIA_TAG_VERSION = 1_700_000_000;
const M3U8 = 'application/vnd.apple.mpegurl';

export function pmsRoutes(state: PmsState): Route<PmsRoute>[] {
  const { catalog, transcoder } = state;
  const fileCache = new Map<string, Buffer>();
  /** Images and segments are small: read once, served from memory. */
  const fileBytes = (file: string) => {
    let bytes = fileCache.get(file);
    if (!bytes) {
      bytes = readFileSync(file);
      fileCache.set(file, bytes);
    }
    return bytes;
  };
  const sectionById = (id: string) => catalog.sections.find((s) => s.key === id);
  const playableFromPath = (p: string | undefined) => {
    const id = p && /^\/library\/metadata\/(\d+)$/.exec(p)?.[1];
    const item = id ? catalog.items.get(id) : undefined;
    return item && isPlayable(item) ? item : undefined;
  };
  const sessionKey = (ctx: RequestContext) =>
    ctx.query('session') ?? ctx.query('transcodeSessionId') ?? ctx.header('x-plex-session-identifier');

  return [
    {
      name: 'identity',
      methods: ['GET'],
      pattern: /^\/identity$/,
      auth: false,
      handle: (ctx) =>
        ctx.container({ size: 0, claimed: true, machineIdentifier: state.machineIdentifier, version: state.version }),
    },
    {
      name: 'sections',
      methods: ['GET'],
      pattern: /^\/library\/sections\/?$/,
      auth: true,
      handle: (ctx) =>
        ctx.container({
          size: catalog.sections.length,
          allowSync: false,
          title1: 'Plex Library',
          Directory: catalog.sections.map(sectionJson),
        }),
    },
    {
      name: 'sectionItems',
      methods: ['GET'],
      pattern: /^\/library\/sections\/(\d+)\/all$/,
      auth: true,
      handle: async (ctx, m) => {
        const section = sectionById(m[1]!);
        if (!section) return ctx.notFound();
        const type = ctx.int('type');
        let items: FakeItem[] =
          section.type === 'movie'
            ? catalog.movies
            : type === 4
              ? catalog.shows.flatMap(episodesOf)
              : type === 3
                ? catalog.shows.flatMap((s) => s.seasons)
                : catalog.shows;
        const title = ctx.query('title');
        if (title) items = items.filter((i) => normalize(i.title).includes(normalize(title)));
        items = sortItems(items, ctx.query('sort'));
        const page = pageOf(ctx, items);
        if (!page) return ctx.badRequest();
        return ctx.container(
          {
            size: page.items.length,
            totalSize: items.length,
            offset: page.start,
            allowSync: true,
            identifier: LIBRARY_IDENTIFIER,
            librarySectionID: section.id,
            librarySectionTitle: section.title,
            librarySectionUUID: section.uuid,
            mediaTagPrefix: MEDIA_TAG_PREFIX,
            mediaTagVersion: MEDIA_TAG_VERSION,
            title1: section.title,
            title2: 'All',
            viewGroup: items[0]?.type ?? section.type,
            Metadata: page.items.map((i) => itemJson(i, false)),
          },
          page.headers,
        );
      },
    },
    {
      name: 'search',
      methods: ['GET'],
      pattern: /^\/hubs\/search\/?$/,
      auth: true,
      handle: async (ctx) => {
        const query = ctx.query('query');
        const limit = ctx.int('limit') ?? 3;
        const sectionId = ctx.int('sectionId');
        if (!query || Number.isNaN(limit) || Number.isNaN(sectionId)) return ctx.badRequest();
        const q = normalize(query);
        const rank = (i: FakeItem) => {
          const t = normalize(i.title);
          return t === q ? 0 : t.startsWith(q) ? 1 : 2;
        };
        const hubs = (
          [
            ['movie', 'Movies', catalog.movies],
            ['show', 'Shows', catalog.shows],
            ['episode', 'Episodes', catalog.shows.flatMap(episodesOf)],
          ] as const
        ).map(([type, title, all]) => {
          const found = (all as FakeItem[])
            .filter((i) => sectionId === undefined || i.section.id === sectionId)
            .filter((i) => normalize(i.title).includes(q))
            .sort((a, b) => rank(a) - rank(b) || a.titleSort.localeCompare(b.titleSort));
          const shown = found.slice(0, Math.max(0, limit));
          return {
            title,
            type,
            hubIdentifier: type,
            context: `hub.${type}`,
            size: shown.length,
            more: found.length > shown.length,
            style: 'shelf',
            ...(shown.length > 0
              ? {
                  hubKey: `/library/metadata/${shown.map((i) => i.ratingKey).join(',')}`,
                  Metadata: shown.map((i) => ({ ...itemJson(i, false), score: String(1 - rank(i) / 4) })),
                }
              : {}),
          };
        });
        return ctx.container({ size: hubs.length, Hub: hubs });
      },
    },
    {
      name: 'metadata',
      methods: ['GET'],
      pattern: /^\/library\/metadata\/(\d+(?:,\d+)*)$/,
      auth: true,
      handle: async (ctx, m) => {
        const found = m[1]!.split(',').flatMap((id) => catalog.items.get(id) ?? []);
        if (found.length === 0) return ctx.notFound();
        const section = found[0]!.section;
        return ctx.container({
          size: found.length,
          allowSync: true,
          identifier: LIBRARY_IDENTIFIER,
          librarySectionID: section.id,
          librarySectionTitle: section.title,
          librarySectionUUID: section.uuid,
          mediaTagPrefix: MEDIA_TAG_PREFIX,
          mediaTagVersion: MEDIA_TAG_VERSION,
          Metadata: found.map((i) =>
            ctx.query('includeMarkers') === '1' && isPlayable(i)
              ? { ...itemJson(i, true), Marker: markersJson(i) }
              : itemJson(i, true),
          ),
        });
      },
    },
    {
      name: 'children',
      methods: ['GET'],
      pattern: /^\/library\/metadata\/(\d+)\/children$/,
      auth: true,
      handle: async (ctx, m) => {
        const parent = catalog.items.get(m[1]!);
        if (!parent) return ctx.notFound();
        const children: FakeItem[] =
          parent.type === 'show' ? parent.seasons : parent.type === 'season' ? parent.episodes : [];
        const page = pageOf(ctx, children);
        if (!page) return ctx.badRequest();
        const show = parent.type === 'show' ? parent : parent.type === 'season' ? parent.show : undefined;
        return ctx.container(
          {
            size: page.items.length,
            totalSize: children.length,
            offset: page.start,
            allowSync: true,
            identifier: LIBRARY_IDENTIFIER,
            key: parent.ratingKey,
            librarySectionID: parent.section.id,
            librarySectionTitle: parent.section.title,
            librarySectionUUID: parent.section.uuid,
            mediaTagPrefix: MEDIA_TAG_PREFIX,
            mediaTagVersion: MEDIA_TAG_VERSION,
            title1: show?.title ?? parent.title,
            title2: parent.type === 'season' ? parent.title : undefined,
            parentTitle: show?.title,
            thumb: thumbPath(parent),
            art: artPath(parent),
            viewGroup: parent.type === 'show' ? 'season' : parent.type === 'season' ? 'episode' : undefined,
            Metadata: page.items.map((i) => itemJson(i, false)),
          },
          page.headers,
        );
      },
    },
    {
      name: 'metadataImage',
      methods: ['GET', 'HEAD'],
      pattern: /^\/library\/metadata\/(\d+)\/(thumb|art)(?:\/(\d+))?$/,
      auth: true,
      handle: async (ctx, m) => {
        const item = catalog.items.get(m[1]!);
        if (!item) return ctx.notFound();
        return ctx.send(200, fileBytes(m[2] === 'thumb' ? item.thumbFile : item.artFile), {
          'content-type': 'image/jpeg',
        });
      },
    },
    {
      name: 'photoTranscode',
      methods: ['GET', 'HEAD'],
      pattern: /^\/photo\/:\/transcode$/,
      auth: true,
      handle: async (ctx) => {
        const source = ctx.query('url');
        const width = ctx.int('width');
        const height = ctx.int('height');
        if (!source || Number.isNaN(width) || Number.isNaN(height) || (width ?? 1) <= 0 || (height ?? 1) <= 0) {
          return ctx.badRequest();
        }
        let sourcePath: string;
        try {
          sourcePath = new URL(source, 'http://pms.invalid').pathname;
        } catch {
          return ctx.badRequest();
        }
        const m = /^\/library\/metadata\/(\d+)\/(thumb|art)(?:\/\d+)?$/.exec(sourcePath);
        const item = m ? catalog.items.get(m[1]!) : undefined;
        if (!m || !item) return ctx.notFound();
        // The bytes are the stored JPEG whatever the size asked for: the fake does not resize.
        return ctx.send(200, fileBytes(m[2] === 'thumb' ? item.thumbFile : item.artFile), {
          'content-type': 'image/jpeg',
          'cache-control': 'max-age=86400',
        });
      },
    },
    {
      name: 'part',
      methods: ['GET', 'HEAD'],
      pattern: /^\/library\/parts\/(\d+)\/(\d+)\/([^/]+)$/,
      auth: true,
      handle: async (ctx, m) => {
        const part = catalog.parts.get(Number(m[1]));
        if (!part) return ctx.notFound();
        return servePart(ctx, part);
      },
    },
    {
      name: 'subtitleStream',
      methods: ['GET'],
      pattern: /^\/library\/streams\/(\d+)$/,
      auth: true,
      handle: async (ctx, m) => {
        const part = catalog.subtitles.get(Number(m[1]));
        if (!part) return ctx.notFound();
        return ctx.send(200, srtFor(part.clip), { 'content-type': 'application/x-subrip;charset=utf-8' });
      },
    },
    {
      name: 'decision',
      methods: ['GET'],
      pattern: /^\/video\/:\/transcode\/universal\/decision$/,
      auth: true,
      handle: async (ctx) => {
        if (!ctx.plex('X-Plex-Client-Identifier')) return ctx.badRequest();
        const item = playableFromPath(ctx.query('path'));
        if (!item) return ctx.query('path') ? ctx.notFound() : ctx.badRequest();
        const maxVideoBitrate = ctx.int('maxVideoBitrate') ?? ctx.int('videoBitrate');
        const videoResolution = ctx.query('videoResolution');
        const clip = item.clip;
        const maxHeight = Number(/(\d+)\s*$/.exec(videoResolution ?? '')?.[1] ?? Number.POSITIVE_INFINITY);
        const fits = (maxVideoBitrate === undefined || maxVideoBitrate >= clip.bitrate) && maxHeight >= clip.height;
        const direct = ctx.query('directPlay') !== '0' && state.directPlay && fits;
        const rendition = pickRendition(clip, maxVideoBitrate, videoResolution);
        const media = mediaJson(item, true);
        const part = item.part;
        const decisionMedia = direct
          ? {
              ...media,
              selected: true,
              Part: [
                {
                  ...media.Part[0],
                  decision: 'directplay',
                  selected: true,
                  Stream: streamsJson(part).map((s) => ({ ...s, decision: 'copy', location: 'direct' })),
                },
              ],
            }
          : {
              ...media,
              selected: true,
              protocol: 'hls',
              container: 'mpegts',
              width: rendition.width,
              height: rendition.height,
              bitrate: Math.round(rendition.bandwidth / 1000),
              videoResolution: resolutionLabel(rendition.height),
              Part: [
                {
                  id: part.id,
                  key: '/video/:/transcode/universal/start.m3u8',
                  decision: 'transcode',
                  selected: true,
                  container: 'mpegts',
                  protocol: 'hls',
                  duration: clip.durationMs,
                  Stream: streamsJson(part)
                    .filter((s) => s.streamType !== 3)
                    .map((s) =>
                      s.streamType === 1
                        ? {
                            ...s,
                            decision: 'transcode',
                            location: 'segments-video',
                            width: rendition.width,
                            height: rendition.height,
                          }
                        : { ...s, decision: 'copy', location: 'segments-audio' },
                    ),
                },
              ],
            };
        const directText = direct
          ? 'Direct play OK.'
          : ctx.query('directPlay') === '0'
            ? 'App cannot direct play this item. Direct play is disabled.'
            : 'Direct play not available; the source exceeds the requested bitrate or resolution.';
        return ctx.container({
          size: 1,
          directPlayDecisionCode: direct ? 1000 : 3000,
          directPlayDecisionText: directText,
          generalDecisionCode: direct ? 1000 : 1001,
          generalDecisionText: direct ? 'Direct play OK.' : 'Direct play not available; Conversion OK.',
          transcodeDecisionCode: direct ? undefined : 1001,
          transcodeDecisionText: direct ? undefined : 'Direct play not available; Conversion OK.',
          Metadata: [{ ...itemJson(item, false), Media: [decisionMedia] }],
        });
      },
    },
    {
      name: 'transcodeStart',
      methods: ['GET'],
      pattern: /^\/video\/:\/transcode\/universal\/start\.m3u8$/,
      auth: true,
      handle: async (ctx) => {
        if (!ctx.plex('X-Plex-Client-Identifier')) return ctx.badRequest();
        const protocol = ctx.query('protocol');
        if (protocol !== undefined && protocol !== 'hls') return ctx.badRequest();
        const item = playableFromPath(ctx.query('path'));
        if (!item) return ctx.query('path') ? ctx.notFound() : ctx.badRequest();
        const key = sessionKey(ctx) ?? crypto.randomUUID();
        // A hardware transcode that fails to start: the client may ask Plex to fall back.
        if (state.fallbacks.startFails(key)) return ctx.html(500, 'Internal Server Error');
        const maxVideoBitrate = ctx.int('maxVideoBitrate') ?? ctx.int('videoBitrate');
        const rendition = pickRendition(
          item.clip,
          Number.isNaN(maxVideoBitrate) ? undefined : maxVideoBitrate,
          ctx.query('videoResolution'),
        );
        const subtitles =
          item.part.subtitleStreamId !== undefined &&
          ctx.query('subtitles') !== 'burn' &&
          ctx.query('subtitles') !== 'none' &&
          (state.hlsSubtitles || ctx.query('subtitles') === 'sidecar');
        const session = transcoder.start(key, item, rendition, Object.fromEntries(ctx.url.searchParams), subtitles);
        return ctx.send(200, masterPlaylist(session), { 'content-type': M3U8, 'cache-control': 'no-cache' });
      },
    },
    {
      name: 'transcodePlaylist',
      methods: ['GET'],
      pattern: /^\/video\/:\/transcode\/universal\/session\/([^/]+)\/base\/index\.m3u8$/,
      auth: true,
      handle: async (ctx, m) => {
        const session = transcoder.get(decodeURIComponent(m[1]!));
        if (!session) return ctx.notFound();
        return ctx.send(200, mediaPlaylist(session), { 'content-type': M3U8, 'cache-control': 'no-cache' });
      },
    },
    {
      name: 'transcodeSegment',
      methods: ['GET'],
      pattern: /^\/video\/:\/transcode\/universal\/session\/([^/]+)\/base\/(\d+)\.ts$/,
      auth: true,
      handle: async (ctx, m) => {
        const session = transcoder.get(decodeURIComponent(m[1]!));
        const index = Number(m[2]);
        const segment = session?.rendition.segments[index];
        if (!session || !segment) return ctx.notFound();
        ctx.record.query.segment = String(index);
        state.counters.segmentFetched(session.key, index);
        return ctx.send(200, fileBytes(segment.file), { 'content-type': 'video/mp2t' });
      },
    },
    {
      name: 'transcodeSubtitlePlaylist',
      methods: ['GET'],
      pattern: /^\/video\/:\/transcode\/universal\/session\/([^/]+)\/subtitles\/index\.m3u8$/,
      auth: true,
      handle: async (ctx, m) => {
        const session = transcoder.get(decodeURIComponent(m[1]!));
        if (!session?.subtitles) return ctx.notFound();
        return ctx.send(200, subtitlePlaylist(session), { 'content-type': M3U8, 'cache-control': 'no-cache' });
      },
    },
    {
      name: 'transcodeSubtitleSegment',
      methods: ['GET'],
      pattern: /^\/video\/:\/transcode\/universal\/session\/([^/]+)\/subtitles\/(\d+)\.vtt$/,
      auth: true,
      handle: async (ctx, m) => {
        const session = transcoder.get(decodeURIComponent(m[1]!));
        const vtt = session?.subtitles ? subtitleSegment(session, Number(m[2])) : undefined;
        if (!vtt) return ctx.notFound();
        return ctx.send(200, vtt, { 'content-type': 'text/vtt;charset=utf-8' });
      },
    },
    {
      name: 'transcodeStop',
      methods: ['GET'],
      pattern: /^\/video\/:\/transcode\/universal\/stop$/,
      auth: true,
      handle: async (ctx) => {
        const key = sessionKey(ctx);
        if (!key) return ctx.badRequest();
        return transcoder.stop(key) ? ctx.send(200, '') : ctx.notFound();
      },
    },
    {
      name: 'transcodePing',
      methods: ['GET'],
      pattern: /^\/video\/:\/transcode\/universal\/ping$/,
      auth: true,
      handle: async (ctx) => {
        const key = sessionKey(ctx);
        if (!key) return ctx.badRequest();
        return transcoder.get(key) ? ctx.send(200, '') : ctx.notFound();
      },
    },
    {
      name: 'transcodeSessionDelete',
      methods: ['DELETE'],
      pattern: /^\/transcode\/sessions\/([^/]+)$/,
      auth: true,
      handle: async (ctx, m) => (transcoder.stop(decodeURIComponent(m[1]!)) ? ctx.send(200, '') : ctx.notFound()),
    },
    {
      name: 'transcodeFallback',
      methods: ['POST'],
      pattern: /^\/video\/:\/transcode\/universal\/fallback$/,
      auth: true,
      handle: async (ctx) => {
        const key = ctx.query('transcodeSessionId') ?? ctx.query('session');
        if (!key) return ctx.badRequest();
        const outcome = state.fallbacks.fallback(key);
        if (outcome === 404) return ctx.notFound();
        if (outcome === 412) return ctx.html(412, 'Precondition Failed');
        return ctx.container({ size: 0 });
      },
    },
    {
      // Players report what they play; the dashboard (`/status/sessions`) lists it.
      name: 'timeline',
      methods: ['POST'],
      pattern: /^\/:\/timeline\/?$/,
      auth: true,
      handle: async (ctx) => {
        const clientIdentifier = ctx.plex('X-Plex-Client-Identifier');
        const stateName = ctx.query('state') as TimelineState | undefined;
        const ratingKey = ctx.query('ratingKey');
        const time = ctx.int('time');
        if (!clientIdentifier || !stateName || !TIMELINE_STATES.includes(stateName) || !ratingKey) {
          return ctx.badRequest();
        }
        if (time === undefined || Number.isNaN(time) || time < 0) return ctx.badRequest();
        const item = catalog.items.get(ratingKey);
        if (!item || !isPlayable(item)) return ctx.notFound();
        const duration = ctx.int('duration');
        state.timelines.record({
          session: ctx.header('x-plex-session-identifier') ?? clientIdentifier,
          clientIdentifier,
          product: ctx.plex('X-Plex-Product') ?? 'unknown',
          ratingKey,
          state: stateName,
          timeMs: time,
          durationMs: duration === undefined || Number.isNaN(duration) ? undefined : duration,
          at: new Date(),
        });
        return ctx.container({ size: 0 });
      },
    },
    {
      name: 'transcodeSessions',
      methods: ['GET'],
      pattern: /^\/transcode\/sessions\/?$/,
      auth: true,
      handle: async (ctx) => {
        const sessions = transcoder.active();
        return ctx.container({ size: sessions.length, TranscodeSession: sessions.map(transcodeSessionJson) });
      },
    },
    {
      name: 'statusSessions',
      methods: ['GET'],
      pattern: /^\/status\/sessions\/?$/,
      auth: true,
      handle: async (ctx) => {
        const sessions = transcoder.active();
        // Players that reported a timeline; a transcode named after the same session is theirs.
        const reported = state.timelines.live();
        const played = reported.flatMap((report) => {
          const item = catalog.items.get(report.ratingKey);
          if (!item || !isPlayable(item)) return [];
          const transcode = sessions.find((s) => s.key === report.session);
          return [
            {
              ...itemJson(item, false),
              sessionKey: report.session,
              viewOffset: report.timeMs,
              Session: { id: report.session, bandwidth: 0, location: 'lan' },
              Player: {
                title: 'Discord Plex Player',
                machineIdentifier: report.clientIdentifier,
                product: report.product,
                state: report.state,
                local: true,
                relayed: false,
                secure: false,
              },
              User: { id: '1', title: 'fake-owner' },
              ...(transcode ? { TranscodeSession: transcodeSessionJson(transcode) } : {}),
            },
          ];
        });
        const unreported = sessions.filter((s) => !reported.some((report) => report.session === s.key));
        return ctx.container({
          size: played.length + unreported.length,
          Metadata: [
            ...played,
            ...unreported.map((s) => ({
              ...itemJson(s.item, false),
              sessionKey: s.key,
              Session: { id: s.key, bandwidth: Math.round(s.rendition.bandwidth / 1000), location: 'lan' },
              Player: {
                title: s.params['X-Plex-Device-Name'] ?? 'Discord Plex Player',
                machineIdentifier: s.params['X-Plex-Client-Identifier'] ?? 'unknown',
                product: s.params['X-Plex-Product'] ?? 'unknown',
                state: 'playing',
                local: true,
                relayed: false,
                secure: false,
              },
              User: { id: '1', title: 'fake-owner' },
              TranscodeSession: transcodeSessionJson(s),
            })),
          ],
        });
      },
    },
  ];

  function sectionJson(section: FakeSection) {
    return {
      allowSync: true,
      filters: true,
      refreshing: false,
      key: section.key,
      type: section.type,
      title: section.title,
      agent: section.agent,
      scanner: section.scanner,
      language: 'en-US',
      uuid: section.uuid,
      updatedAt: section.updatedAt,
      createdAt: section.createdAt,
      scannedAt: section.updatedAt,
      content: true,
      directory: true,
      contentChangedAt: section.updatedAt,
      hidden: false,
      Location: [{ id: section.id, path: section.location }],
    };
  }

  function servePart(ctx: RequestContext, part: FakePart) {
    const size = part.clip.mp4Bytes;
    const lastModified = new Date(part.changedAt * 1000).toUTCString();
    const etag = `"${part.id}-${size.toString(16)}"`;
    const base: Record<string, string | number> = {
      'content-type': 'video/mp4',
      'accept-ranges': 'bytes',
      etag,
      'last-modified': lastModified,
    };
    if (ctx.query('download') === '1') {
      base['content-disposition'] = `attachment; filename="${part.file.split('/').pop()}"`;
    }
    const inm = ctx.header('if-none-match');
    if (inm?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
      return ctx.send(304, '', { ...base, 'content-length': 0 });
    }
    const range = ifRangeMatches(ctx.header('if-range'), etag, lastModified)
      ? parseRange(ctx.header('range'), size)
      : ({ kind: 'full' } as const);
    if (range.kind === 'unsatisfiable') {
      return ctx.send(416, '', { ...base, 'content-range': `bytes */${size}`, 'content-type': 'text/plain' });
    }
    if (range.kind === 'partial') {
      return ctx.sendFile(206, part.clip.mp4File, range.start, range.end, {
        ...base,
        'content-range': `bytes ${range.start}-${range.end}/${size}`,
      });
    }
    return ctx.sendFile(200, part.clip.mp4File, 0, size - 1, base);
  }

  function itemJson(item: FakeItem, detail: boolean): Record<string, unknown> {
    switch (item.type) {
      case 'movie':
        return movieJson(item, detail);
      case 'show':
        return showJson(item);
      case 'season':
        return seasonJson(item);
      case 'episode':
        return episodeJson(item, detail);
    }
  }

  function common(item: FakeItem) {
    return {
      ratingKey: item.ratingKey,
      key:
        item.type === 'show' || item.type === 'season'
          ? `/library/metadata/${item.ratingKey}/children`
          : `/library/metadata/${item.ratingKey}`,
      guid: item.guid,
      type: item.type,
      title: item.title,
      titleSort: item.titleSort !== item.title ? item.titleSort : undefined,
      librarySectionTitle: item.section.title,
      librarySectionID: item.section.id,
      librarySectionKey: `/library/sections/${item.section.id}`,
      summary: item.summary,
      thumb: thumbPath(item),
      art: artPath(item),
      addedAt: item.addedAt,
      updatedAt: item.updatedAt,
    };
  }

  function movieJson(movie: FakeMovie, detail: boolean) {
    return {
      ...common(movie),
      studio: 'Lavfi Pictures',
      contentRating: 'G',
      audienceRating: 7.5,
      year: movie.year,
      tagline: 'Every frame counts.',
      duration: movie.clip.durationMs,
      originallyAvailableAt: `${movie.year}-06-01`,
      Media: [mediaJson(movie, detail)],
      Genre: [{ tag: 'Test Pattern' }],
      Director: [{ tag: 'A. Lavfi' }],
      ...(detail ? { Country: [{ tag: 'Nowhere' }], Role: [{ tag: 'The Timecode', role: 'Itself' }] } : {}),
    };
  }

  function showJson(show: FakeShow) {
    const episodes = episodesOf(show);
    return {
      ...common(show),
      studio: 'Lavfi Television',
      contentRating: 'TV-G',
      year: show.year,
      index: 1,
      duration: episodes[0]?.clip.durationMs,
      originallyAvailableAt: `${show.year}-01-15`,
      childCount: show.seasons.length,
      leafCount: episodes.length,
      viewedLeafCount: 0,
    };
  }

  function seasonJson(season: FakeSeason) {
    return {
      ...common(season),
      parentRatingKey: season.show.ratingKey,
      parentKey: `/library/metadata/${season.show.ratingKey}`,
      parentGuid: season.show.guid,
      parentTitle: season.show.title,
      parentThumb: thumbPath(season.show),
      index: season.index,
      year: season.year,
      leafCount: season.episodes.length,
      viewedLeafCount: 0,
    };
  }

  function episodeJson(episode: FakeEpisode, detail: boolean) {
    return {
      ...common(episode),
      parentRatingKey: episode.season.ratingKey,
      parentKey: `/library/metadata/${episode.season.ratingKey}`,
      parentGuid: episode.season.guid,
      parentTitle: episode.season.title,
      parentIndex: episode.season.index,
      parentThumb: thumbPath(episode.season),
      grandparentRatingKey: episode.show.ratingKey,
      grandparentKey: `/library/metadata/${episode.show.ratingKey}`,
      grandparentGuid: episode.show.guid,
      grandparentTitle: episode.show.title,
      grandparentThumb: thumbPath(episode.show),
      grandparentArt: artPath(episode.show),
      contentRating: 'TV-G',
      index: episode.index,
      year: episode.year,
      duration: episode.clip.durationMs,
      originallyAvailableAt: `${episode.year}-0${episode.season.index}-${String(10 + episode.index).padStart(2, '0')}`,
      Media: [mediaJson(episode, detail)],
    };
  }

  function mediaJson(item: FakePlayable, detail: boolean) {
    const { clip, part } = item;
    return {
      id: part.mediaId,
      duration: clip.durationMs,
      bitrate: clip.bitrate,
      width: clip.width,
      height: clip.height,
      aspectRatio: Math.round((clip.width / clip.height) * 100) / 100,
      audioChannels: clip.audioChannels,
      audioCodec: 'aac',
      videoCodec: 'h264',
      videoResolution: resolutionLabel(clip.height),
      container: 'mp4',
      videoFrameRate: clip.frameRate === 25 ? 'PAL' : '24p',
      optimizedForStreaming: true,
      audioProfile: 'lc',
      has64bitOffsets: false,
      videoProfile: clip.videoProfile,
      Part: [
        {
          id: part.id,
          key: part.key,
          duration: clip.durationMs,
          file: part.file,
          size: clip.mp4Bytes,
          audioProfile: 'lc',
          container: 'mp4',
          has64bitOffsets: false,
          optimizedForStreaming: true,
          videoProfile: clip.videoProfile,
          ...(detail ? { accessible: true, exists: true, Stream: streamsJson(part) } : {}),
        },
      ],
    };
  }

  function transcodeSessionJson(s: { key: string; item: FakePlayable; rendition: { width: number; height: number } }) {
    return {
      key: `/transcode/sessions/${s.key}`,
      throttled: false,
      complete: true,
      progress: 100,
      size: -22,
      speed: 0,
      error: false,
      duration: s.item.clip.durationMs,
      context: 'streaming',
      sourceVideoCodec: 'h264',
      sourceAudioCodec: 'aac',
      videoDecision: 'transcode',
      audioDecision: 'copy',
      protocol: 'hls',
      container: 'mpegts',
      videoCodec: 'h264',
      audioCodec: 'aac',
      audioChannels: s.item.clip.audioChannels,
      width: s.rendition.width,
      height: s.rendition.height,
      transcodeHwRequested: false,
      transcodeHwFullPipeline: false,
    };
  }
}

/**
 * Intro and credits markers, as Plex's analysis finds them (`includeMarkers=1`): the demo series'
 * episodes have the markers their manifest names; other episodes have an intro 2–7 s in; every
 * other playable item has its last 5 s as final credits. Offsets in ms.
 */
export function markersJson(item: FakePlayable) {
  const duration = item.clip.durationMs;
  const base = Number(item.ratingKey) * 10;
  if (item.clip.markers) {
    return item.clip.markers.map((marker, i) => ({
      id: base + 1 + i,
      type: marker.type,
      startTimeOffset: marker.startMs,
      endTimeOffset: marker.endMs,
      ...(marker.type === 'credits' ? { final: true } : {}),
    }));
  }
  const markers: {
    id: number;
    type: 'intro' | 'credits';
    startTimeOffset: number;
    endTimeOffset: number;
    final?: boolean;
  }[] = [];
  if (item.type === 'episode')
    markers.push({ id: base + 1, type: 'intro', startTimeOffset: 2000, endTimeOffset: 7000 });
  markers.push({
    id: base + 2,
    type: 'credits',
    startTimeOffset: duration - 5000,
    endTimeOffset: duration,
    final: true,
  });
  return markers;
}

/** The Stream list of a part: video, audio and (when it has one) an external SRT subtitle. */
export function streamsJson(part: FakePart) {
  const { clip } = part;
  const streams: Array<Record<string, unknown> & { streamType: number }> = [
    {
      id: part.videoStreamId,
      streamType: 1,
      default: true,
      codec: 'h264',
      index: 0,
      bitrate: Math.max(1, clip.bitrate - 32),
      bitDepth: 8,
      chromaLocation: 'left',
      chromaSubsampling: '4:2:0',
      codedHeight: Math.ceil(clip.height / 16) * 16,
      codedWidth: Math.ceil(clip.width / 16) * 16,
      frameRate: clip.frameRate,
      hasScalingMatrix: false,
      height: clip.height,
      level: clip.videoLevel,
      profile: clip.videoProfile,
      refFrames: 4,
      scanType: 'progressive',
      width: clip.width,
      displayTitle: `${clip.height}p (H.264)`,
      extendedDisplayTitle: `${clip.height}p (H.264 ${clip.videoProfile === 'main' ? 'Main' : clip.videoProfile})`,
    },
    {
      id: part.audioStreamId,
      streamType: 2,
      selected: true,
      default: true,
      codec: 'aac',
      index: 1,
      channels: clip.audioChannels,
      bitrate: 32,
      language: 'English',
      languageTag: 'en',
      languageCode: 'eng',
      profile: 'lc',
      samplingRate: clip.audioSamplingRate,
      audioChannelLayout: clip.audioChannels === 1 ? 'mono' : 'stereo',
      displayTitle: `English (AAC ${clip.audioChannels === 1 ? 'Mono' : 'Stereo'})`,
      extendedDisplayTitle: `English (AAC ${clip.audioChannels === 1 ? 'Mono' : 'Stereo'})`,
    },
  ];
  if (part.subtitleStreamId !== undefined) {
    streams.push({
      id: part.subtitleStreamId,
      streamType: 3,
      key: `/library/streams/${part.subtitleStreamId}`,
      codec: 'srt',
      format: 'srt',
      language: 'English',
      languageTag: 'en',
      languageCode: 'eng',
      canAutoSync: false,
      displayTitle: 'English (SRT External)',
      extendedDisplayTitle: 'English (SRT External)',
    });
  }
  return streams;
}

function resolutionLabel(height: number): string {
  if (height >= 2000) return '4k';
  if (height >= 1000) return '1080';
  if (height >= 700) return '720';
  if (height >= 570) return '576';
  if (height >= 470) return '480';
  return 'sd';
}

function normalize(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().trim();
}

function sortItems(items: FakeItem[], sort: string | undefined): FakeItem[] {
  const [field = 'titleSort', dir = 'asc'] = (sort ?? 'titleSort').split(':');
  const key = (i: FakeItem): string | number =>
    field === 'addedAt' ? i.addedAt : field === 'year' ? i.year : field === 'title' ? i.title : i.titleSort;
  const sorted = [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const c = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka).localeCompare(String(kb));
    return c || a.titleSort.localeCompare(b.titleSort);
  });
  return dir === 'desc' ? sorted.reverse() : sorted;
}

/** X-Plex-Container-Start/Size from the query string or headers; `undefined` when they are not numbers. */
function pageOf<T>(ctx: RequestContext, items: T[]) {
  const start = ctx.int('X-Plex-Container-Start', true) ?? 0;
  const size = ctx.int('X-Plex-Container-Size', true);
  if (Number.isNaN(start) || start < 0 || Number.isNaN(size) || (size !== undefined && size < 0)) return undefined;
  const page = items.slice(start, size === undefined ? undefined : start + size);
  return {
    start,
    items: page,
    headers: { 'X-Plex-Container-Start': start, 'X-Plex-Container-Total-Size': items.length },
  };
}
