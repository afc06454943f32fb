import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from './index.ts';
import { plexJson } from './test-client.ts';

type Metadata = { ratingKey: string; title: string; type: string; index?: number; Marker?: Record<string, unknown>[] };
type Container = { MediaContainer: { Metadata?: Metadata[] } };

/** The demo series in the fake Plex: a show like any other, with the markers its manifest names. */
describe('fake Plex: the demo series', () => {
  let fake: FakePlex;
  beforeAll(async () => {
    fake = await startFakePlex();
  });
  afterAll(() => fake.close());

  const demoShow = () => fake.catalog.shows.find((s) => s.title === 'Signal Hill')!;

  it('lists Signal Hill in the show section with two seasons of its own episodes', async () => {
    const all = await plexJson<Container>(fake, '/library/sections/2/all');
    expect(all.MediaContainer.Metadata?.map((m) => m.title)).toContain('Signal Hill');
    const show = demoShow();
    const seasons = await plexJson<Container>(fake, `/library/metadata/${show.ratingKey}/children`);
    expect(seasons.MediaContainer.Metadata?.map((s) => [s.type, s.index])).toEqual([
      ['season', 1],
      ['season', 2],
    ]);
    const episodes = show.seasons.flatMap((s) => s.episodes);
    expect(episodes.map((e) => e.clip.id)).toEqual(['signal-hill-s01e01', 'signal-hill-s01e02', 'signal-hill-s02e01']);
  });

  it('serves the manifest markers with includeMarkers=1, as Plex does, and none without it', async () => {
    const episode = demoShow().seasons[0]!.episodes[0]!;
    const plain = await plexJson<Container>(fake, `/library/metadata/${episode.ratingKey}`);
    expect(plain.MediaContainer.Metadata?.[0]?.Marker).toBeUndefined();
    const marked = await plexJson<Container>(fake, `/library/metadata/${episode.ratingKey}?includeMarkers=1`);
    const markers = marked.MediaContainer.Metadata?.[0]?.Marker;
    expect(markers).toEqual([
      { id: expect.any(Number), type: 'intro', startTimeOffset: 1000, endTimeOffset: 4000 },
      { id: expect.any(Number), type: 'credits', startTimeOffset: 9000, endTimeOffset: 12000, final: true },
    ]);
  });
});
