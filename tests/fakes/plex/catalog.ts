import { createHash } from 'node:crypto';
import type { DemoClip } from './demo-media.ts';

/**
 * The fake server's library: a movie section and a show section (shows → seasons → episodes). Every
 * playable item reuses one of the demo clips as its part file, so media bytes are real.
 * Ids are stable for a given option set: tests can rely on them (see `FakeCatalog`).
 */

export interface FakeSection {
  id: number;
  key: string;
  type: 'movie' | 'show';
  title: string;
  uuid: string;
  agent: string;
  scanner: string;
  location: string;
  createdAt: number;
  updatedAt: number;
}

interface ItemBase {
  ratingKey: string;
  guid: string;
  title: string;
  titleSort: string;
  summary: string;
  year: number;
  addedAt: number;
  updatedAt: number;
  section: FakeSection;
  /** File behind `thumb` (portrait poster for movies/shows/seasons, a frame for episodes). */
  thumbFile: string;
  /** File behind `art` (a landscape frame). */
  artFile: string;
}

export interface FakePart {
  id: number;
  mediaId: number;
  /** The changestamp in the part's key (seconds); also its Last-Modified. */
  changedAt: number;
  /** Path as Plex would name it on the server's disk. */
  file: string;
  key: string;
  clip: DemoClip;
  /** The optional external subtitle stream (served as SRT at /library/streams/{id}). */
  subtitleStreamId?: number;
  videoStreamId: number;
  audioStreamId: number;
}

export interface FakeMovie extends ItemBase {
  type: 'movie';
  clip: DemoClip;
  part: FakePart;
}

export interface FakeShow extends ItemBase {
  type: 'show';
  seasons: FakeSeason[];
}

export interface FakeSeason extends ItemBase {
  type: 'season';
  index: number;
  show: FakeShow;
  episodes: FakeEpisode[];
}

export interface FakeEpisode extends ItemBase {
  type: 'episode';
  index: number;
  season: FakeSeason;
  show: FakeShow;
  clip: DemoClip;
  part: FakePart;
}

export type FakeItem = FakeMovie | FakeShow | FakeSeason | FakeEpisode;
export type FakePlayable = FakeMovie | FakeEpisode;

export interface FakeCatalog {
  sections: FakeSection[];
  movies: FakeMovie[];
  shows: FakeShow[];
  /** Every item by ratingKey. */
  items: Map<string, FakeItem>;
  parts: Map<number, FakePart>;
  /** Image paths (`/library/metadata/{id}/thumb/{ts}` and `/art/{ts}`) → file. */
  images: Map<string, string>;
  /** Subtitle stream id → the part it belongs to. */
  subtitles: Map<number, FakePart>;
}

const EXTRA_MOVIE_TITLES = [
  'Colour Bars at Dawn',
  'The Long Sine',
  'Frame by Frame',
  'A Beep in Time',
  'Keyframe Heist',
  'Twenty-Five per Second',
  'Return of the Timecode',
  'Letterbox Nights',
  'Octave Up',
];

interface ShowDef {
  title: string;
  year: number;
  summary: string;
  /** Episode titles per season. */
  seasons: string[][];
  /** The clip of each episode (the demo series); made-up shows take the film clips in turn. */
  clips?: DemoClip[][];
}

const SHOWS: ShowDef[] = [
  {
    title: 'Sync Street',
    year: 2020,
    summary: 'A neighbourhood where every clock agrees. Mostly.',
    seasons: [
      ['Pilot', 'Drift', 'Catch Up'],
      ['Buffering', 'Seek and Find', 'Finale'],
    ],
  },
  {
    title: 'The Timecode Hour',
    year: 2024,
    summary: 'Two short episodes about counting frames, one second at a time.',
    seasons: [['Part One', 'Part Two']],
  },
];

const BASE_TIME = 1_700_000_000;

export function sortTitle(title: string): string {
  return title.replace(/^(the|a|an)\s+/i, '');
}

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function slug(title: string): string {
  return title.replace(/[^\w\s-]/g, '').trim();
}

export interface CatalogOptions {
  /** Movies in the movie section (the demo clips first, then more titles reusing them). Default 12. */
  movies?: number;
  /** Give the first demo movie an external English SRT subtitle stream. Default true. */
  subtitles?: boolean;
}

export function buildCatalog(demoClips: DemoClip[], options: CatalogOptions = {}): FakeCatalog {
  // Films and the made-up shows reuse the film clips; the demo series' episodes keep to their show.
  const clips = demoClips.filter((clip) => clip.series === undefined);
  const episodeClips = demoClips.filter((clip) => clip.series !== undefined);
  if (clips.length === 0) throw new Error('fake Plex: the demo manifest lists no clips');
  const movieCount = options.movies ?? 12;
  const withSubtitles = options.subtitles ?? true;
  const clipAt = (i: number) => clips[i % clips.length]!;
  const sections: FakeSection[] = [
    {
      id: 1,
      key: '1',
      type: 'movie',
      title: 'Movies',
      uuid: uuidFrom('section-movies'),
      agent: 'tv.plex.agents.movie',
      scanner: 'Plex Movie',
      location: '/data/movies',
      createdAt: BASE_TIME,
      updatedAt: BASE_TIME + 86_400 * 30,
    },
    {
      id: 2,
      key: '2',
      type: 'show',
      title: 'TV Shows',
      uuid: uuidFrom('section-shows'),
      agent: 'tv.plex.agents.series',
      scanner: 'Plex TV Series',
      location: '/data/tv',
      createdAt: BASE_TIME,
      updatedAt: BASE_TIME + 86_400 * 30,
    },
  ];
  const [movieSection, showSection] = sections as [FakeSection, FakeSection];
  const items = new Map<string, FakeItem>();
  const parts = new Map<number, FakePart>();
  const subtitles = new Map<number, FakePart>();
  let nextMedia = 1001;
  let nextPart = 2001;
  let nextStream = 3001;

  const makePart = (clip: DemoClip, file: string, updatedAt: number, subtitle: boolean): FakePart => {
    const id = nextPart++;
    const part: FakePart = {
      id,
      mediaId: nextMedia++,
      changedAt: updatedAt,
      file,
      key: `/library/parts/${id}/${updatedAt}/file.mp4`,
      clip,
      videoStreamId: nextStream++,
      audioStreamId: nextStream++,
    };
    if (subtitle) {
      part.subtitleStreamId = nextStream++;
      subtitles.set(part.subtitleStreamId, part);
    }
    parts.set(id, part);
    return part;
  };

  const movies: FakeMovie[] = [];
  for (let i = 0; i < movieCount; i++) {
    const clip = clipAt(i);
    const isDemo = i < clips.length;
    const title = isDemo ? clip.title : (EXTRA_MOVIE_TITLES[i - clips.length] ?? `Test Pattern No. ${i + 1}`);
    const year = isDemo ? clip.year : 2000 + ((i * 7) % 25);
    const ratingKey = String(101 + i);
    const addedAt = BASE_TIME + i * 86_400;
    const updatedAt = addedAt + 3600;
    const movie: FakeMovie = {
      type: 'movie',
      ratingKey,
      guid: `plex://movie/${uuidFrom(`movie-${i}`).replace(/-/g, '').slice(0, 24)}`,
      title,
      titleSort: sortTitle(title),
      summary: isDemo ? clip.summary : `${title}: a ${Math.round(clip.durationMs / 1000)} second test reel.`,
      year,
      addedAt,
      updatedAt,
      section: movieSection,
      thumbFile: clip.posterFile,
      artFile: clip.thumbFile,
      clip,
      part: makePart(
        clip,
        `/data/movies/${slug(title)} (${year})/${slug(title)} (${year}).mp4`,
        updatedAt,
        withSubtitles && i === 0,
      ),
    };
    movies.push(movie);
    items.set(ratingKey, movie);
  }

  // The demo series, as its manifest describes it: seasons and episodes by their numbers.
  const demoShows = new Map<string, { def: ShowDef; clips: DemoClip[][] }>();
  for (const clip of episodeClips) {
    const series = clip.series!;
    const entry = demoShows.get(series.id) ?? {
      def: { title: series.title, year: series.year ?? 2025, summary: series.summary ?? '', seasons: [] },
      clips: [],
    };
    demoShows.set(series.id, entry);
    const season = entry.clips[series.season - 1] ?? [];
    entry.clips[series.season - 1] = season;
    season[series.episode - 1] = clip;
  }
  const showDefs: ShowDef[] = [...SHOWS];
  for (const { def, clips: seasons } of demoShows.values()) {
    showDefs.push({
      ...def,
      seasons: seasons.map((episodes) => episodes.filter(Boolean).map((clip) => clip.title)),
      clips: seasons.map((episodes) => episodes.filter(Boolean)),
    });
  }

  const shows: FakeShow[] = [];
  let showKey = 201;
  let seasonKey = 211;
  let episodeKey = 301;
  let clipCursor = 0;
  for (const [s, def] of showDefs.entries()) {
    const addedAt = BASE_TIME + 86_400 * (20 + s);
    const show: FakeShow = {
      type: 'show',
      ratingKey: String(showKey++),
      guid: `plex://show/${uuidFrom(`show-${s}`).replace(/-/g, '').slice(0, 24)}`,
      title: def.title,
      titleSort: sortTitle(def.title),
      summary: def.summary,
      year: def.year,
      addedAt,
      updatedAt: addedAt + 3600,
      section: showSection,
      thumbFile: (def.clips?.[0]?.[0] ?? clipAt(s)).posterFile,
      artFile: (def.clips?.[0]?.[0] ?? clipAt(s)).thumbFile,
      seasons: [],
    };
    items.set(show.ratingKey, show);
    shows.push(show);
    for (const [n, titles] of def.seasons.entries()) {
      const season: FakeSeason = {
        type: 'season',
        ratingKey: String(seasonKey++),
        guid: `plex://season/${uuidFrom(`season-${s}-${n}`).replace(/-/g, '').slice(0, 24)}`,
        title: `Season ${n + 1}`,
        titleSort: `Season ${n + 1}`,
        summary: '',
        year: def.year + n,
        addedAt,
        updatedAt: addedAt + 3600,
        section: showSection,
        thumbFile: show.thumbFile,
        artFile: show.artFile,
        index: n + 1,
        show,
        episodes: [],
      };
      items.set(season.ratingKey, season);
      show.seasons.push(season);
      for (const [e, title] of titles.entries()) {
        const clip = def.clips?.[n]?.[e] ?? clipAt(clipCursor++);
        const ratingKey = String(episodeKey++);
        const episodeAdded = addedAt + (n * 10 + e) * 600;
        const file = `/data/tv/${def.title}/Season ${String(n + 1).padStart(2, '0')}/${def.title} - s${String(n + 1).padStart(2, '0')}e${String(e + 1).padStart(2, '0')} - ${title}.mp4`;
        const episode: FakeEpisode = {
          type: 'episode',
          ratingKey,
          guid: `plex://episode/${uuidFrom(`episode-${ratingKey}`).replace(/-/g, '').slice(0, 24)}`,
          title,
          titleSort: title,
          summary: `${def.title}, season ${n + 1}, episode ${e + 1}: “${title}”.`,
          year: def.year + n,
          addedAt: episodeAdded,
          updatedAt: episodeAdded + 3600,
          section: showSection,
          thumbFile: clip.thumbFile,
          artFile: show.artFile,
          index: e + 1,
          season,
          show,
          clip,
          part: makePart(clip, file, episodeAdded + 3600, false),
        };
        items.set(ratingKey, episode);
        season.episodes.push(episode);
      }
    }
  }

  const images = new Map<string, string>();
  for (const item of items.values()) {
    images.set(thumbPath(item), item.thumbFile);
    images.set(artPath(item), item.artFile);
  }
  return { sections, movies, shows, items, parts, images, subtitles };
}

export const thumbPath = (item: FakeItem) => `/library/metadata/${item.ratingKey}/thumb/${item.updatedAt}`;
export const artPath = (item: FakeItem) => `/library/metadata/${item.ratingKey}/art/${item.updatedAt}`;

export function isPlayable(item: FakeItem): item is FakePlayable {
  return item.type === 'movie' || item.type === 'episode';
}

/** Every episode of a show, in order. */
export function episodesOf(show: FakeShow): FakeEpisode[] {
  return show.seasons.flatMap((season) => season.episodes);
}
