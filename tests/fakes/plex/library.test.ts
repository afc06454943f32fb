import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from './index.ts';
import { bytesOf, plexFetch, plexJson } from './test-client.ts';

type Item = Record<string, unknown> & { ratingKey: string; title: string; type: string };
type Container = { MediaContainer: Record<string, unknown> & { Metadata?: Item[]; size: number } };

let fake: FakePlex;
beforeAll(async () => {
  fake = await startFakePlex();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.counters.reset();
  fake.faults.clear();
});

describe('fake Plex: access', () => {
  it('answers /identity without a token and everything else only with the token (header or query)', async () => {
    const identity = await fetch(`${fake.url}/identity`, { headers: { Accept: 'application/json' } });
    expect(identity.status).toBe(200);
    expect((await identity.json()).MediaContainer.machineIdentifier).toBe(fake.machineIdentifier);

    expect((await fetch(`${fake.url}/library/sections`, { headers: { Accept: 'application/json' } })).status).toBe(401);
    const wrong = await fetch(`${fake.url}/library/sections`, { headers: { 'X-Plex-Token': 'nope' } });
    expect(wrong.status).toBe(401);
    const byQuery = await fetch(`${fake.url}/library/sections?X-Plex-Token=${fake.token}`, {
      headers: { Accept: 'application/json' },
    });
    expect(byQuery.status).toBe(200);
    expect(fake.counters.calls('sections')).toBe(3);
  });

  it('answers XML unless the client asks for JSON, like the real server', async () => {
    const res = await fetch(`${fake.url}/library/sections`, { headers: { 'X-Plex-Token': fake.token } });
    expect(res.headers.get('content-type')).toContain('text/xml');
    const xml = await res.text();
    expect(xml).toMatch(/^<MediaContainer size="2"/);
    expect(xml).toContain('<Directory ');
  });
});

describe('fake Plex: library', () => {
  it('lists a movie section and a show section', async () => {
    const body = await plexJson<{ MediaContainer: { Directory: { key: string; type: string; title: string }[] } }>(
      fake,
      '/library/sections',
    );
    expect(body.MediaContainer.Directory.map((d) => [d.key, d.type])).toEqual([
      ['1', 'movie'],
      ['2', 'show'],
    ]);
  });

  it('pages /all with X-Plex-Container-Start/Size (query or headers) and reports totalSize', async () => {
    const seen: string[] = [];
    for (let start = 0; ; start += 5) {
      const res = await plexFetch(
        fake,
        `/library/sections/1/all?X-Plex-Container-Start=${start}&X-Plex-Container-Size=5`,
      );
      expect(res.headers.get('x-plex-container-start')).toBe(String(start));
      expect(res.headers.get('x-plex-container-total-size')).toBe('12');
      const body = (await res.json()) as Container;
      expect(body.MediaContainer.totalSize).toBe(12);
      expect(body.MediaContainer.offset).toBe(start);
      const page = body.MediaContainer.Metadata ?? [];
      expect(body.MediaContainer.size).toBe(page.length);
      if (page.length === 0) break;
      seen.push(...page.map((m) => m.ratingKey));
    }
    expect(seen).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);

    const byHeaders = await plexFetch(fake, '/library/sections/1/all', {
      headers: { 'X-Plex-Container-Start': '10', 'X-Plex-Container-Size': '5' },
    });
    expect(((await byHeaders.json()) as Container).MediaContainer.Metadata).toHaveLength(2);

    const countOnly = await plexJson<Container>(fake, '/library/sections/1/all?X-Plex-Container-Size=0');
    expect(countOnly.MediaContainer).toMatchObject({ size: 0, totalSize: 12 });
  });

  it('sorts by titleSort by default, ignoring a leading article', async () => {
    const body = await plexJson<Container>(fake, '/library/sections/1/all');
    const titles = body.MediaContainer.Metadata!.map((m) => String(m.titleSort ?? m.title));
    expect(titles).toEqual([...titles].sort((a, b) => a.localeCompare(b)));
    expect(body.MediaContainer.Metadata!.find((m) => m.title === 'The Long Sine')?.titleSort).toBe('Long Sine');
  });

  it('walks show → seasons → episodes through /children, episodes playable with real part files', async () => {
    const shows = await plexJson<Container>(fake, '/library/sections/2/all');
    const show = shows.MediaContainer.Metadata!.find((m) => m.title === 'Sync Street')!;
    expect(show).toMatchObject({
      type: 'show',
      childCount: 2,
      leafCount: 6,
      key: `/library/metadata/${show.ratingKey}/children`,
    });

    const seasons = await plexJson<Container>(fake, `/library/metadata/${show.ratingKey}/children`);
    expect(seasons.MediaContainer.Metadata!.map((s) => [s.type, s.index])).toEqual([
      ['season', 1],
      ['season', 2],
    ]);
    const episodes = await plexJson<Container>(
      fake,
      `/library/metadata/${seasons.MediaContainer.Metadata![1]!.ratingKey}/children`,
    );
    const list = episodes.MediaContainer.Metadata!;
    expect(list.map((e) => e.title)).toEqual(['Buffering', 'Seek and Find', 'Finale']);
    expect(list[0]).toMatchObject({ type: 'episode', parentIndex: 2, index: 1, grandparentTitle: 'Sync Street' });

    const full = await plexJson<Container>(fake, `/library/metadata/${list[0]!.ratingKey}`);
    const media = (
      full.MediaContainer.Metadata![0]!.Media as { Part: { key: string; size: number; Stream: unknown[] }[] }[]
    )[0]!;
    expect(media.Part[0]!.Stream.length).toBeGreaterThanOrEqual(2);
    const file = await plexFetch(fake, media.Part[0]!.key);
    expect(file.status).toBe(200);
    expect((await bytesOf(file)).length).toBe(media.Part[0]!.size);
  });

  it('returns metadata with Media/Part/Stream, several ids at once, and 404 for unknown ids', async () => {
    const [movie] = fake.catalog.movies;
    const body = await plexJson<Container>(fake, `/library/metadata/${movie!.ratingKey}`);
    const item = body.MediaContainer.Metadata![0]!;
    expect(item).toMatchObject({ title: 'Sunrise Sync Check', type: 'movie', year: 2021, duration: 30_000 });
    const part = (item.Media as { Part: { key: string; Stream: { streamType: number; key?: string }[] }[] }[])[0]!
      .Part[0]!;
    expect(part.key).toBe(movie!.part.key);
    expect(part.Stream.map((s) => s.streamType)).toEqual([1, 2, 3]);

    const subtitle = await plexFetch(fake, part.Stream[2]!.key!);
    expect(await subtitle.text()).toContain('00:00:05,000 --> 00:00:06,000\nSecond 5');

    const two = await plexJson<Container>(fake, '/library/metadata/101,102');
    expect(two.MediaContainer.Metadata!.map((m) => m.ratingKey)).toEqual(['101', '102']);
    expect((await plexFetch(fake, '/library/metadata/999999')).status).toBe(404);
  });

  it('searches titles across movies, shows and episodes, 3 per hub unless limit says otherwise', async () => {
    type Hubs = { MediaContainer: { Hub: { type: string; size: number; more: boolean; Metadata?: Item[] }[] } };
    const body = await plexJson<Hubs>(fake, '/hubs/search?query=sync');
    const byType = Object.fromEntries(body.MediaContainer.Hub.map((h) => [h.type, h]));
    expect(byType.movie!.Metadata!.map((m) => m.title)).toEqual(['Sunrise Sync Check']);
    expect(byType.show!.Metadata!.map((m) => m.title)).toEqual(['Sync Street']);
    expect(byType.episode!.size).toBe(0);

    const limited = await plexJson<Hubs>(fake, '/hubs/search?query=e');
    expect(limited.MediaContainer.Hub.find((h) => h.type === 'movie')).toMatchObject({ size: 3, more: true });
    const wide = await plexJson<Hubs>(fake, '/hubs/search?query=e&limit=50');
    expect(wide.MediaContainer.Hub.find((h) => h.type === 'movie')!.more).toBe(false);
    expect((await plexFetch(fake, '/hubs/search')).status).toBe(400);
  });

  it('serves posters through /photo/:/transcode and the metadata thumb/art paths', async () => {
    const [movie] = fake.catalog.movies;
    const body = await plexJson<Container>(fake, `/library/metadata/${movie!.ratingKey}`);
    const thumb = String(body.MediaContainer.Metadata![0]!.thumb);
    const poster = readFileSync(movie!.thumbFile);

    const direct = await bytesOf(await plexFetch(fake, thumb));
    expect(direct.equals(poster)).toBe(true);
    const url = encodeURIComponent(`${thumb}?X-Plex-Token=${fake.token}`);
    const res = await plexFetch(fake, `/photo/:/transcode?url=${url}&width=300&height=450`);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const bytes = await bytesOf(res);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(bytes.equals(poster)).toBe(true);

    expect((await plexFetch(fake, '/photo/:/transcode?width=10')).status).toBe(400);
    expect((await plexFetch(fake, '/photo/:/transcode?url=/library/metadata/999/thumb/1')).status).toBe(404);
  });
});
