import { randomUUID } from 'node:crypto';
import type { Cache } from '../infra/cache.ts';
import { contentTypeOf } from '../lib/mime.ts';
import { NotPlayableError, SourceUpstreamError } from '../media/errors.ts';
import {
  ART_SIZES,
  type ArtImage,
  type ArtRef,
  type ArtSize,
  decodeOffsetCursor,
  encodeOffsetCursor,
  type ItemPage,
  type ItemType,
  type LibrarySection,
  type MediaItem,
  type MediaItemDetail,
  type MediaMarker,
  type MediaSource,
  type Quality,
  type ResolveStreamOptions,
  type SectionType,
  type StreamDescriptor,
  type SubtitleFile,
  stopStream,
  type TimelineReport,
} from '../media/media-source.ts';
import type { PlexClient } from './plex-client.ts';
import type { PlexDecision, PlexMetadata } from './schemas.ts';
import { asSource } from './source-errors.ts';

/** Cache lifetimes (DESIGN 5). */
export const LIBRARY_TTL_MS = 10 * 60_000;
export const METADATA_TTL_MS = 30 * 60_000;
export const SEARCH_TTL_MS = 5 * 60_000;

/** What is cached per item: the public detail plus the file to direct-play (server-side only). */
interface ItemRecord {
  detail: MediaItemDetail;
  part: { key: string; sizeBytes: number | null; container: string | null } | null;
  /** External text subtitles (sidecar streams): key, label and language. Absent in older cache entries. */
  subtitles?: { key: string; label: string; language: string; format: 'srt' | 'vtt' }[];
}

/** Codecs of sidecar subtitles the proxy can hand to a browser (as WebVTT). */
const TEXT_SUBTITLES: Record<string, 'srt' | 'vtt'> = { srt: 'srt', subrip: 'srt', vtt: 'vtt', webvtt: 'vtt' };

const ITEM_TYPES: Record<string, ItemType> = { movie: 'movie', show: 'show', season: 'season', episode: 'episode' };
const SECTION_TYPES: Record<string, SectionType> = { movie: 'movie', show: 'show' };
const SEARCHABLE = new Set(['movie', 'show', 'episode']);

/**
 * A Plex Media Server as a MediaSource. Reads go through the shared cache (`lib:`, `meta:`,
 * `search:` namespaces, keyed by this source's key) with single flight, so a burst of identical
 * requests makes one upstream call. Plex's errors stop here: every method throws the
 * source-neutral ones (media/errors.ts).
 */
export class PlexSource implements MediaSource {
  readonly kind = 'plex' as const;

  constructor(
    readonly key: string,
    readonly name: string,
    private readonly client: PlexClient,
    private readonly cache: Cache,
  ) {}

  sections(): Promise<LibrarySection[]> {
    return asSource(() =>
      this.cache.wrap(`lib:${this.key}:sections`, LIBRARY_TTL_MS, async () => {
        const sections = await this.client.sections();
        return sections.flatMap((section): LibrarySection[] => {
          const type = SECTION_TYPES[section.type];
          return type ? [{ id: section.key, title: section.title, type }] : [];
        });
      }),
    );
  }

  items(sectionId: string, cursor: string | undefined, limit: number): Promise<ItemPage> {
    return asSource(async () => {
      const offset = decodeOffsetCursor(cursor);
      const page = await this.cache.wrap(
        `lib:${this.key}:items:${sectionId}:${offset}:${limit}`,
        LIBRARY_TTL_MS,
        async () => {
          const result = await this.client.sectionItems(sectionId, offset, limit);
          return { items: result.items.map(toItem), total: result.total };
        },
      );
      const end = offset + page.items.length;
      const more = page.total === null ? page.items.length === limit : end < page.total;
      return { items: page.items, total: page.total, nextCursor: more ? encodeOffsetCursor(end) : undefined };
    });
  }

  search(query: string, limit: number): Promise<MediaItem[]> {
    return asSource(async () => {
      const normalized = query.trim().toLowerCase().replace(/\s+/g, ' ');
      return this.cache.wrap(`search:${this.key}:${limit}:${normalized}`, SEARCH_TTL_MS, async () => {
        const hubs = await this.client.searchHubs(normalized, limit);
        const seen = new Set<string>();
        const items: MediaItem[] = [];
        for (const hub of hubs) {
          if (!SEARCHABLE.has(hub.type)) continue;
          for (const metadata of hub.Metadata) {
            if (!SEARCHABLE.has(metadata.type) || seen.has(metadata.ratingKey)) continue;
            seen.add(metadata.ratingKey);
            items.push(toItem(metadata));
          }
        }
        return items.slice(0, limit);
      });
    });
  }

  item(id: string): Promise<MediaItemDetail> {
    return asSource(async () => {
      const { detail } = await this.record(id);
      // Records cached before markers were read have none.
      return { ...detail, markers: detail.markers ?? [] };
    });
  }

  children(id: string): Promise<MediaItem[]> {
    return asSource(() =>
      this.cache.wrap(`meta:${this.key}:children:${id}`, METADATA_TTL_MS, async () =>
        (await this.client.children(id)).map(toItem),
      ),
    );
  }

  art(ref: ArtRef, size: ArtSize): Promise<ArtImage> {
    return asSource(async () => {
      const { width, height } = ART_SIZES[size];
      return this.client.photo(ref, width, height);
    });
  }

  resolveStream(itemId: string, quality: Quality, options: ResolveStreamOptions = {}): Promise<StreamDescriptor> {
    return asSource(async () => {
      const record = await this.record(itemId);
      if (!record.detail.playable) throw new NotPlayableError(record.detail.title);
      const sessionKey = options.sessionKey ?? randomUUID();
      const location = await this.client.location();
      const decision = await this.client.decision(itemId, quality, sessionKey);
      const subtitles: SubtitleFile[] = (record.subtitles ?? []).map(({ key, label, language, format }) => ({
        label,
        language,
        format,
        url: this.client.partUrl(key),
        headers: this.client.headers(),
      }));

      if (quality === 'original' && record.part && directPlay(decision)) {
        return {
          kind: 'file',
          url: this.client.partUrl(record.part.key),
          headers: this.client.headers(),
          mimeType: contentTypeOf(record.part.container),
          sizeBytes: record.part.sizeBytes,
          subtitles,
        };
      }
      if (!canTranscode(decision)) {
        const reason = decision.transcodeDecisionText ?? decision.generalDecisionText ?? 'no reason given';
        throw new SourceUpstreamError(`Plex cannot stream this item (${reason}).`);
      }
      return {
        kind: 'hls',
        url: this.client.startUrl(itemId, quality, sessionKey, location),
        headers: this.client.transcodeHeaders(sessionKey),
        mimeType: 'application/vnd.apple.mpegurl',
        sessionKey,
        stop: this.client.stopRequest(sessionKey),
        ping: this.client.pingRequest(sessionKey),
        fallback: this.client.fallbackRequest(sessionKey),
        subtitles,
      };
    });
  }

  stopStream(descriptor: StreamDescriptor): Promise<void> {
    return asSource(async () => {
      if (descriptor.kind === 'hls') await this.client.stopTranscode(descriptor.sessionKey);
      else await stopStream(descriptor);
    });
  }

  reportTimeline(itemId: string, sessionKey: string, report: TimelineReport): Promise<void> {
    return asSource(async () => {
      const { detail } = await this.record(itemId);
      await this.client.timeline({ itemId, sessionKey, durationMs: detail.durationMs, ...report });
    });
  }

  private record(id: string): Promise<ItemRecord> {
    return this.cache.wrap(`meta:${this.key}:item:${id}`, METADATA_TTL_MS, async () => {
      const metadata = await this.client.metadata(id);
      const media = metadata.Media[0];
      const part = media?.Part[0];
      return {
        detail: {
          ...toItem(metadata),
          contentRating: metadata.contentRating ?? null,
          genres: metadata.Genre.map((genre) => genre.tag),
          media: media
            ? {
                container: media.container ?? null,
                videoCodec: media.videoCodec ?? null,
                audioCodec: media.audioCodec ?? null,
                width: media.width ?? null,
                height: media.height ?? null,
                bitrateKbps: media.bitrate ?? null,
              }
            : null,
          markers: metadata.Marker.flatMap((marker): MediaMarker[] =>
            (marker.type === 'intro' || marker.type === 'credits') && marker.endTimeOffset > marker.startTimeOffset
              ? [
                  {
                    type: marker.type,
                    startMs: marker.startTimeOffset,
                    endMs: marker.endTimeOffset,
                    final: marker.type === 'credits' && marker.final === true,
                  },
                ]
              : [],
          ).sort((a, b) => a.startMs - b.startMs),
        },
        part: part
          ? { key: part.key, sizeBytes: part.size ?? null, container: part.container ?? media?.container ?? null }
          : null,
        subtitles: (part?.Stream ?? []).flatMap((stream) => {
          const format = TEXT_SUBTITLES[(stream.codec ?? stream.format ?? '').toLowerCase()];
          if (stream.streamType !== 3 || !stream.key?.startsWith('/') || format === undefined) return [];
          const language = stream.languageTag ?? stream.languageCode ?? 'und';
          return [{ key: stream.key, label: stream.displayTitle ?? stream.language ?? 'Subtitles', language, format }];
        }),
      };
    });
  }
}

/** Plex's verdict: direct play is possible for this client profile. */
function directPlay(decision: PlexDecision): boolean {
  const part = decision.Metadata[0]?.Media[0]?.Part[0];
  if (part?.decision) return part.decision === 'directplay';
  return decision.directPlayDecisionCode === 1000;
}

/** 1xxx codes mean playback can succeed; 2xxx–4xxx are failures (general, direct play, transcode). */
function canTranscode(decision: PlexDecision): boolean {
  const code = decision.transcodeDecisionCode ?? decision.generalDecisionCode;
  return code === undefined || code < 2000;
}

export function toItem(metadata: PlexMetadata): MediaItem {
  const type = ITEM_TYPES[metadata.type] ?? 'other';
  return {
    id: metadata.ratingKey,
    type,
    title: metadata.title,
    year: metadata.year ?? null,
    summary: metadata.summary || null,
    durationMs: metadata.duration ?? null,
    thumb: metadata.thumb ?? metadata.parentThumb ?? metadata.grandparentThumb ?? null,
    art: metadata.art ?? metadata.grandparentArt ?? null,
    parentId: metadata.parentRatingKey ?? null,
    parentTitle: metadata.parentTitle ?? null,
    grandparentTitle: metadata.grandparentTitle ?? null,
    index: metadata.index ?? null,
    parentIndex: metadata.parentIndex ?? null,
    childCount: (type === 'season' ? metadata.leafCount : metadata.childCount) ?? null,
    playable: type === 'movie' || type === 'episode',
  };
}
