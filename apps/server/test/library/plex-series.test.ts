import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { MemoryCache } from '../../src/infra/memory-cache.ts';
import { createMetrics } from '../../src/infra/metrics.ts';
import { nextEpisodeOf } from '../../src/library/next-episode.ts';
import { NotPlayableError } from '../../src/media/errors.ts';
import { defaultIdentity } from '../../src/plex/headers.ts';
import { PlexClient } from '../../src/plex/plex-client.ts';
import { PlexSource } from '../../src/plex/plex-source.ts';

/** A Plex show through PlexSource (against the fake Plex): intro/credits markers, the next episode across seasons. */
describe('a series on Plex', () => {
  let fake: FakePlex;
  let source: PlexSource;
  beforeAll(async () => {
    fake = await startFakePlex();
    const client = new PlexClient({
      baseUrl: fake.url,
      token: fake.token,
      identity: defaultIdentity('dpp-test'),
      metrics: createMetrics(),
    });
    source = new PlexSource('test', 'Plex', client, new MemoryCache());
  });
  afterAll(() => fake.close());

  const demoShow = () => fake.catalog.shows.find((s) => s.title === 'Signal Hill')!;

  it('reads intro and credits markers (includeMarkers=1) into the item details', async () => {
    const [first] = demoShow().seasons.flatMap((s) => s.episodes);
    expect((await source.item(first!.ratingKey)).markers).toEqual([
      { type: 'intro', startMs: 1000, endMs: 4000, final: false },
      { type: 'credits', startMs: 9000, endMs: 12000, final: true },
    ]);
    // A film: its final credits, as the fake's analysis marks every item.
    const movie = await source.item(fake.catalog.movies[0]!.ratingKey);
    expect(movie.markers).toEqual([
      { type: 'credits', startMs: movie.durationMs! - 5000, endMs: movie.durationMs, final: true },
    ]);
  });

  it('goes on to the next episode across seasons, and stops after the last and for films', async () => {
    const [first, second, third] = demoShow().seasons.flatMap((s) => s.episodes);
    expect((await nextEpisodeOf(source, first!.ratingKey))?.id).toBe(second!.ratingKey);
    expect((await nextEpisodeOf(source, second!.ratingKey))?.id).toBe(third!.ratingKey);
    expect(await nextEpisodeOf(source, third!.ratingKey)).toBeUndefined();
    expect(await nextEpisodeOf(source, fake.catalog.movies[0]!.ratingKey)).toBeUndefined();
    await expect(source.resolveStream(demoShow().ratingKey, 'original')).rejects.toBeInstanceOf(NotPlayableError);
  });
});
