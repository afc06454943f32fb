import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { searchWords } from '@dpp/shared';
import { z } from 'zod';
import { contentTypeOf } from '../lib/mime.ts';
import {
  type ArtImage,
  type ArtRef,
  decodeOffsetCursor,
  encodeOffsetCursor,
  ItemNotFoundError,
  type ItemPage,
  type LibrarySection,
  type MediaItem,
  type MediaItemDetail,
  type MediaSource,
  QUALITY_LIMITS,
  type Quality,
  type StreamDescriptor,
  type SubtitleFile,
} from './media-source.ts';

/** The committed clips (apps/server/media/demo, described by its manifest.json). */
export const DEMO_MEDIA_DIR = fileURLToPath(new URL('../../media/demo', import.meta.url));

export const DEMO_SECTION_ID = 'demo';
const ID_PREFIX = 'demo-';

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

/**
 * The demo library: a few short clips committed to the repository, served through the same
 * interface as Plex so a fresh machine has something to watch. Streams are files on disk (MP4 for
 * `original`, pre-segmented HLS otherwise); nothing is transcoded at run time.
 */
export class DemoSource implements MediaSource {
  readonly key = 'demo';
  readonly kind = 'demo' as const;
  readonly name = 'Demo library';

  private constructor(
    private readonly dir: string,
    private readonly clips: DemoClip[],
  ) {}

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
    return [{ id: DEMO_SECTION_ID, title: 'Demo', type: 'movie' }];
  }

  async items(sectionId: string, cursor: string | undefined, limit: number): Promise<ItemPage> {
    if (sectionId !== DEMO_SECTION_ID) throw new ItemNotFoundError('such section');
    const offset = decodeOffsetCursor(cursor);
    const items = this.clips.slice(offset, offset + limit).map((clip) => this.toItem(clip));
    const end = offset + items.length;
    return {
      items,
      total: this.clips.length,
      nextCursor: end < this.clips.length ? encodeOffsetCursor(end) : undefined,
    };
  }

  async search(query: string, limit: number): Promise<MediaItem[]> {
    const words = searchWords(query);
    return this.clips
      .filter((clip) => {
        const haystack = searchWords(`${clip.title} ${clip.summary ?? ''}`).join(' ');
        return words.length > 0 && words.every((word) => haystack.includes(word));
      })
      .slice(0, limit)
      .map((clip) => this.toItem(clip));
  }

  async item(id: string): Promise<MediaItemDetail> {
    const clip = this.clip(id);
    return {
      ...this.toItem(clip),
      contentRating: null,
      genres: ['Demo'],
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

  private toItem(clip: DemoClip): MediaItem {
    return {
      id: ID_PREFIX + clip.id,
      type: 'movie',
      title: clip.title,
      year: clip.year ?? null,
      summary: clip.summary ?? null,
      durationMs: clip.durationMs,
      thumb: clip.poster ?? null,
      art: clip.thumb ?? null,
      parentId: null,
      parentTitle: null,
      grandparentTitle: null,
      index: null,
      parentIndex: null,
      childCount: null,
      playable: true,
    };
  }
}
