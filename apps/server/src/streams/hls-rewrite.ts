import HLS from 'hls-parser';

/** What a URI in a playlist points at, so the mapper can pick a name (and an extension) for it. */
export type UriRole = 'playlist' | 'segment' | 'key' | 'init' | 'data';

export type UriMapper = (uri: string, role: UriRole) => string;

export class PlaylistParseError extends Error {
  override name = 'PlaylistParseError';
}

export interface RewrittenPlaylist {
  text: string;
  isMaster: boolean;
  /** A media playlist that will not grow any more (EXT-X-ENDLIST): safe to cache for long. */
  complete: boolean;
}

/**
 * Parses a playlist (hls-parser) and replaces every URI in it: variants and I-frame variants,
 * renditions (EXT-X-MEDIA audio/video/subtitles), session keys and data, segments, keys, init
 * sections (EXT-X-MAP), partial segments and preload hints, prefetch segments, rendition reports.
 * One object may be shared by many entries (a key or a map for a run of segments), and a rendition
 * is repeated in every variant of its group: each object is rewritten once, each URI mapped once.
 */
export function rewritePlaylist(text: string, map: UriMapper): RewrittenPlaylist {
  let playlist: ReturnType<typeof HLS.parse>;
  try {
    playlist = HLS.parse(text);
  } catch (error) {
    throw new PlaylistParseError(`not a valid HLS playlist: ${error instanceof Error ? error.message : String(error)}`);
  }
  const done = new WeakSet<object>();
  const mapped = new Map<string, string>();
  const visit = <T extends object>(holder: T | undefined | null, field: keyof T & string, role: UriRole) => {
    if (!holder || done.has(holder)) return;
    done.add(holder);
    const value = holder[field];
    if (typeof value !== 'string' || value === '') return;
    const memo = `${role}\n${value}`;
    let replacement = mapped.get(memo);
    if (replacement === undefined) {
      replacement = map(value, role);
      mapped.set(memo, replacement);
    }
    (holder as Record<string, unknown>)[field] = replacement;
  };

  if (playlist.isMasterPlaylist) {
    for (const variant of playlist.variants) {
      visit(variant, 'uri', 'playlist');
      for (const rendition of [...variant.audio, ...variant.video, ...variant.subtitles, ...variant.closedCaptions]) {
        visit(rendition, 'uri', 'playlist');
      }
    }
    for (const key of playlist.sessionKeyList) visit(key, 'uri', 'key');
    for (const data of playlist.sessionDataList) visit(data, 'uri', 'data');
    if (playlist.contentSteering) visit(playlist.contentSteering, 'serverUri', 'data');
    return { text: `${HLS.stringify(playlist)}\n`, isMaster: true, complete: true };
  }

  for (const segment of playlist.segments) {
    visit(segment, 'uri', 'segment');
    visit(segment.key, 'uri', 'key');
    visit(segment.map, 'uri', 'init');
    for (const part of segment.parts ?? []) visit(part, 'uri', 'segment');
  }
  for (const prefetch of playlist.prefetchSegments) {
    visit(prefetch, 'uri', 'segment');
    visit(prefetch.key, 'uri', 'key');
  }
  for (const report of playlist.renditionReports) visit(report, 'uri', 'playlist');
  return { text: `${HLS.stringify(playlist)}\n`, isMaster: false, complete: playlist.endlist };
}
