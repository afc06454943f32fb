import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { searchWords } from '@dpp/shared';
import { z } from 'zod';
import { contentTypeOf } from '../lib/mime.ts';
import { ItemNotFoundError, NotPlayableError } from '../media/errors.ts';
import {
  type ArtImage,
  type ArtRef,
  decodeOffsetCursor,
  encodeOffsetCursor,
  type ItemPage,
  type LibrarySection,
  type MediaItem,
  type MediaItemDetail,
  type MediaSource,
  QUALITY_LIMITS,
  type Quality,
  type StreamDescriptor,
  type SubtitleFile,
} from '../media/media-source.ts';

/** The committed clips (apps/server/media/demo, described by its manifest.json). */
export const DEMO_MEDIA_DIR = fileURLToPath(new URL('../../media/demo', import.meta.url));

export const DEMO_SECTION_ID = 'demo';
/** The demo series (shows → seasons → episodes). */
export const DEMO_SERIES_SECTION_ID = 'demo-series';
const ID_PREFIX = 'demo-';
const SHOW_PREFIX = 'demo-show-';
const SEASON_PREFIX = 'demo-season-';

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes('..'), 'must be a path inside the demo folder');

const manifestSchema = z.object({
  items: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z0-9-]{1,64}$/),
        title: z.string().min(1),
        summary: z.string().optional(),
        year: z.number().int().optional(),
        durationMs: z.number().int().positive(),
        width: z.number().int().positive().optional(),
        height: z.number().int().positive().optional(),
        container: z.string().optional(),
        videoCodec: z.string().optional(),
        audioCodec: z.string().optional(),
        bitrate: z.number().optional(),
        poster: relativePath.optional(),
        thumb: relativePath.optional(),
        /** Set on the demo series' episodes. */
        series: z
          .object({
            id: z.string().regex(/^[a-z0-9-]{1,48}$/),
            title: z.string().min(1),
            summary: z.string().optional(),
            year: z.number().int().optional(),
            season: z.number().int().min(0),
            episode: z.number().int().min(0),
          })
          .optional(),
        markers: z
          .array(
            z.object({
              type: z.enum(['intro', 'credits']),
              startMs: z.number().int().min(0),
              endMs: z.number().int().positive(),
            }),
          )
          .optional(),
        files: z.object({
          mp4: z.object({ path: relativePath, bytes: z.number().int().positive(), mimeType: z.string().min(1) }),
          hls: z
            .object({
              master: relativePath,
              renditions: z.array(
                z.object({ name: z.string(), height: z.number().int().positive(), playlist: relativePath }),
              ),
            })
            .optional(),
          subtitles: z
            .array(z.object({ path: relativePath, language: z.string().min(1), label: z.string().min(1) }))
            .optional(),
        }),
      }),
    )
    .min(1),
});
type DemoClip = z.infer<typeof manifestSchema>['items'][number];
type DemoEpisode = DemoClip & { series: NonNullable<DemoClip['series']> };

const isEpisode = (clip: DemoClip): clip is DemoEpisode => clip.series !== undefined;
const byEpisode = (a: DemoEpisode, b: DemoEpisode) =>
  a.series.season - b.series.season || a.series.episode - b.series.episode;

interface DemoShow {
  id: string;
  title: string;
  summary: string | null;
  year: number | null;
  seasons: { index: number; episodes: DemoEpisode[] }[];
}

/**
 * The demo library: a few short clips committed to the repository, served through the same
 * interface as Plex so a fresh machine has something to watch. Streams are files on disk (MP4 for
 * `original`, pre-segmented HLS otherwise); nothing is transcoded at run time.
 */
export class DemoSource implements MediaSource {
  readonly key = 'demo';
  readonly kind = 'demo' as const;
  readonly name = 'Demo library';

  /** Films: the clips that are no episode. */
  private readonly movies: DemoClip[];
  private readonly shows: DemoShow[];

  private constructor(
    private readonly dir: string,
    private readonly clips: DemoClip[],
  ) {
    this.movies = clips.filter((clip) => !isEpisode(clip));
    const shows = new Map<string, DemoShow>();
    for (const episode of clips.filter(isEpisode).sort(byEpisode)) {
      const { series } = episode;
      const show = shows.get(series.id) ?? {
        id: series.id,
        title: series.title,
        summary: series.summary ?? null,
        year: series.year ?? null,
        seasons: [],
      };
      shows.set(series.id, show);
      const season = show.seasons.find((s) => s.index === series.season);
      if (season) season.episodes.push(episode);
      else show.seasons.push({ index: series.season, episodes: [episode] });
    }
    this.shows = [...shows.values()];
  }

  /** Reads and checks the manifest; every file it names must exist. */
  static async load(dir: string = DEMO_MEDIA_DIR): Promise<DemoSource> {
    const file = path.join(dir, 'manifest.json');
    const parsed = manifestSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${file}: ${issue?.path.join('.')} ${issue?.message}`);
    }
    const source = new DemoSource(dir, parsed.data.items);
    for (const clip of parsed.data.items) {
      const files = [clip.files.mp4.path, clip.files.hls?.master, clip.poster, clip.thumb];
      for (const relative of files) if (relative) await stat(path.join(dir, relative));
    }
    return source;
  }

  async sections(): Promise<LibrarySection[]> {
    const sections: LibrarySection[] = [{ id: DEMO_SECTION_ID, title: 'Demo', type: 'movie' }];
    if (this.shows.length > 0) sections.push({ id: DEMO_SERIES_SECTION_ID, title: 'Demo series', type: 'show' });
    return sections;
  }

  async items(sectionId: string, cursor: string | undefined, limit: number): Promise<ItemPage> {
    const all =
      sectionId === DEMO_SECTION_ID
        ? this.movies.map((clip) => this.toItem(clip))
        : sectionId === DEMO_SERIES_SECTION_ID && this.shows.length > 0
          ? this.shows.map((show) => this.showItem(show))
          : undefined;
    if (!all) throw new ItemNotFoundError('such section');
    const offset = decodeOffsetCursor(cursor);
    const items = all.slice(offset, offset + limit);
    const end = offset + items.length;
    return { items, total: all.length, nextCursor: end < all.length ? encodeOffsetCursor(end) : undefined };
  }

  async search(query: string, limit: number): Promise<MediaItem[]> {
    const words = searchWords(query);
    const matches = (text: string) => {
      const haystack = searchWords(text).join(' ');
      return words.length > 0 && words.every((word) => haystack.includes(word));
    };
    return [
      // Shows by their title, as Plex's search finds them.
      ...this.shows.filter((show) => matches(show.title)).map((s) => this.showItem(s)),
      ...this.clips.filter((clip) => matches(`${clip.title} ${clip.summary ?? ''}`)).map((c) => this.toItem(c)),
    ].slice(0, limit);
  }

  async item(id: string): Promise<MediaItemDetail> {
    const container = this.container(id);
    if (container) return { ...container, contentRating: null, genres: ['Demo'], media: null, markers: [] };
    const clip = this.clip(id);
    return {
      ...this.toItem(clip),
      contentRating: null,
      genres: ['Demo'],
      markers: (clip.markers ?? []).map((marker) => ({ ...marker, final: marker.type === 'credits' })),
      media: {
        container: clip.container ?? 'mp4',
        videoCodec: clip.videoCodec ?? null,
        audioCodec: clip.audioCodec ?? null,
        width: clip.width ?? null,
        height: clip.height ?? null,
        bitrateKbps: clip.bitrate ?? null,
      },
    };
  }

  async children(id: string): Promise<MediaItem[]> {
    const show = this.shows.find((s) => SHOW_PREFIX + s.id === id);
    if (show) return show.seasons.map((season) => this.seasonItem(show, season));
    const found = this.season(id);
    if (found) return found.season.episodes.map((episode) => this.toItem(episode));
    this.clip(id);
    return [];
  }

  /** `ref` is a file named by the manifest; every size gets the file as it is. */
  async art(ref: ArtRef): Promise<ArtImage> {
    const known = this.clips.some((clip) => clip.poster === ref || clip.thumb === ref);
    if (!known) throw new ItemNotFoundError('such image');
    const file = path.join(this.dir, ref);
    const { size } = await stat(file);
    return { body: createReadStream(file), contentType: contentTypeOf(file), sizeBytes: size };
  }

  async resolveStream(itemId: string, quality: Quality): Promise<StreamDescriptor> {
    const container = this.container(itemId);
    if (container) throw new NotPlayableError(container.title);
    const clip = this.clip(itemId);
    const hls = clip.files.hls;
    const subtitles: SubtitleFile[] = (clip.files.subtitles ?? []).map((file) => ({
      label: file.label,
      language: file.language,
      format: file.path.endsWith('.srt') ? 'srt' : 'vtt',
      path: path.join(this.dir, file.path),
    }));
    if (quality === 'original' || !hls || hls.renditions.length === 0) {
      return {
        kind: 'local-file',
        path: path.join(this.dir, clip.files.mp4.path),
        mimeType: clip.files.mp4.mimeType,
        sizeBytes: clip.files.mp4.bytes,
        subtitles,
      };
    }
    // The whole ladder when all of it fits under the quality; else the tallest rendition that
    // fits (or the smallest there is), as a media playlist.
    const master = path.join(this.dir, hls.master);
    const limit = QUALITY_LIMITS[quality].height;
    const byHeight = [...hls.renditions].sort((a, b) => b.height - a.height);
    const fitting = byHeight.filter((r) => r.height <= limit);
    const chosen = fitting.length === byHeight.length ? undefined : (fitting[0] ?? byHeight.at(-1));
    const playlist = chosen ? path.join(this.dir, chosen.playlist) : master;
    const dir = path.dirname(master);
    const inside = !path.relative(dir, playlist).startsWith('..');
    return {
      kind: 'local-hls',
      dir: inside ? dir : path.dirname(playlist),
      playlist: inside ? path.relative(dir, playlist) : path.basename(playlist),
      mimeType: 'application/vnd.apple.mpegurl',
      subtitles,
    };
  }

  async stopStream(): Promise<void> {}

  private clip(id: string): DemoClip {
    const clip = id.startsWith(ID_PREFIX) ? this.clips.find((c) => ID_PREFIX + c.id === id) : undefined;
    if (!clip) throw new ItemNotFoundError('such item');
    return clip;
  }

  private season(id: string) {
    for (const show of this.shows)
      for (const season of show.seasons)
        if (`${SEASON_PREFIX}${show.id}-${season.index}` === id) return { show, season };
    return undefined;
  }

  /** A show or a season, as an item. */
  private container(id: string): MediaItem | undefined {
    const show = this.shows.find((s) => SHOW_PREFIX + s.id === id);
    if (show) return this.showItem(show);
    const found = this.season(id);
    return found && this.seasonItem(found.show, found.season);
  }

  private showItem(show: DemoShow): MediaItem {
    const first = show.seasons[0]?.episodes[0];
    return {
      id: SHOW_PREFIX + show.id,
      type: 'show',
      title: show.title,
      year: show.year,
      summary: show.summary,
      durationMs: null,
      thumb: first?.poster ?? null,
      art: first?.thumb ?? null,
      parentId: null,
      parentTitle: null,
      grandparentTitle: null,
      index: null,
      parentIndex: null,
      childCount: show.seasons.length,
      playable: false,
    };
  }

  private seasonItem(show: DemoShow, season: DemoShow['seasons'][number]): MediaItem {
    const first = season.episodes[0];
    return {
      id: `${SEASON_PREFIX}${show.id}-${season.index}`,
      type: 'season',
      title: `Season ${season.index}`,
      year: show.year,
      summary: null,
      durationMs: null,
      thumb: first?.poster ?? null,
      art: first?.thumb ?? null,
      parentId: SHOW_PREFIX + show.id,
      parentTitle: show.title,
      grandparentTitle: null,
      index: season.index,
      parentIndex: null,
      childCount: season.episodes.length,
      playable: false,
    };
  }

  private toItem(clip: DemoClip): MediaItem {
    const series = clip.series;
    return {
      id: ID_PREFIX + clip.id,
      type: series ? 'episode' : 'movie',
      title: clip.title,
      year: series?.year ?? clip.year ?? null,
      summary: clip.summary ?? null,
      durationMs: clip.durationMs,
      // An episode's picture is a frame of it, as on Plex; a film's is its poster.
      thumb: (series ? (clip.thumb ?? clip.poster) : clip.poster) ?? null,
      art: clip.thumb ?? null,
      parentId: series ? `${SEASON_PREFIX}${series.id}-${series.season}` : null,
      parentTitle: series ? `Season ${series.season}` : null,
      grandparentTitle: series?.title ?? null,
      index: series?.episode ?? null,
      parentIndex: series?.season ?? null,
      childCount: null,
      playable: true,
    };
  }
}
