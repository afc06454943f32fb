import type { ItemPageDto, LibraryItemDetailDto, LibraryItemDto } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { type App, buildTestApp, signIn } from './support/test-app.ts';

/** The library API on PLEX_URL/PLEX_TOKEN, against the fake Plex Media Server. */
describe('library API on a Plex server', () => {
  let fake: FakePlex;
  let app: App;
  let headers: { authorization: string };
  const seen: string[] = [];

  const get = async <T>(url: string, status = 200): Promise<T> => {
    const response = await app.inject({ url, headers });
    seen.push(response.body, JSON.stringify(response.headers));
    expect(response.statusCode, response.body).toBe(status);
    return response.json<T>();
  };

  /** `dpp_cache_requests_total` for a namespace, read from /metrics like Prometheus would. */
  const cacheCounts = async (namespace: string) => {
    const text = (await app.inject({ url: '/metrics' })).body;
    const read = (result: string) => {
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`dpp_cache_requests_total{namespace="${namespace}",result="${result}"}`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    return { hit: read('hit'), miss: read('miss') };
  };

  beforeAll(async () => {
    fake = await startFakePlex();
    app = await buildTestApp({ PLEX_URL: fake.url, PLEX_TOKEN: fake.token, PLEX_TV_URL: fake.plexTvUrl });
    headers = { authorization: (await signIn(app)).authorization };
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  it('lists the movie and show sections, once from Plex and then from the cache', async () => {
    const body = await get<{ source: unknown; sections: Array<{ id: string; type: string }> }>('/api/library/sections');
    expect(body.source).toEqual({ kind: 'plex', name: 'Plex' });
    expect(body.sections.map((s) => s.type).sort()).toEqual(['movie', 'show']);
    await get('/api/library/sections');
    expect(fake.counters.calls('sections')).toBe(1);
  });

  it('pages a section with opaque cursors (X-Plex-Container-Start/Size upstream)', async () => {
    const movies = fake.catalog.sections.find((s) => s.type === 'movie')!;
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page: ItemPageDto = await get<ItemPageDto>(`/api/library/sections/${movies.key}/items?limit=5${query}`);
      expect(page.total).toBe(fake.catalog.movies.length);
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(fake.catalog.movies.length / 5));
    expect(new Set(ids)).toEqual(new Set(fake.catalog.movies.map((m) => m.ratingKey)));
    const upstream = fake.counters.requests().filter((r) => r.route === 'sectionItems');
    expect(upstream.map((r) => r.query['X-Plex-Container-Start'])).toEqual(['0', '5', '10']);
    expect(upstream.every((r) => r.query['X-Plex-Container-Size'] === '5')).toBe(true);
  });

  it('shows details, seasons of a show and episodes of a season', async () => {
    const movie = fake.catalog.movies[0]!;
    const detail = await get<LibraryItemDetailDto>(`/api/library/items/${movie.ratingKey}`);
    expect(detail).toMatchObject({ id: movie.ratingKey, type: 'movie', title: movie.title, playable: true });
    expect(detail.media).toMatchObject({ container: 'mp4', videoCodec: 'h264' });
    expect(detail.durationMs).toBe(movie.clip.durationMs);

    const show = fake.catalog.shows[0]!;
    const seasons = await get<{ items: LibraryItemDto[] }>(`/api/library/items/${show.ratingKey}/children`);
    expect(seasons.items.map((s) => s.title)).toEqual(show.seasons.map((s) => s.title));
    expect(seasons.items[0]).toMatchObject({ type: 'season', playable: false, parentId: show.ratingKey });
    const episodes = await get<{ items: LibraryItemDto[] }>(
      `/api/library/items/${show.seasons[0]!.ratingKey}/children`,
    );
    expect(episodes.items.map((e) => e.id)).toEqual(show.seasons[0]!.episodes.map((e) => e.ratingKey));
    expect(episodes.items[0]).toMatchObject({ type: 'episode', playable: true, grandparentTitle: show.title });
  });

  it('serves posters through signed art ids, fetching each image from Plex once', async () => {
    const movie = fake.catalog.movies[1]!;
    const detail = await get<LibraryItemDetailDto>(`/api/library/items/${movie.ratingKey}`);
    expect(detail.thumb).toMatch(/^\/api\/art\/[\w-]{40,}$/);
    const before = fake.counters.calls('photoTranscode');
    for (let i = 0; i < 3; i++) {
      const art = await app.inject({ url: detail.thumb! });
      seen.push(JSON.stringify(art.headers));
      expect(art.statusCode).toBe(200);
      expect(art.headers['content-type']).toBe('image/jpeg');
      expect(art.rawPayload.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    }
    expect(fake.counters.calls('photoTranscode')).toBe(before + 1);
    const request = fake.counters.requests().findLast((r) => r.route === 'photoTranscode')!;
    expect(request.query).toMatchObject({
      url: `/library/metadata/${movie.ratingKey}/thumb/${movie.updatedAt}`,
      width: '300',
    });
    expect((await cacheCounts('art')).hit).toBeGreaterThanOrEqual(2);
  });

  it('makes one upstream search for 100 concurrent identical searches (single flight), visible in /metrics', async () => {
    const before = fake.counters.calls('search');
    const metricsBefore = await cacheCounts('search');
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => app.inject({ url: '/api/library/search?q=Timecode', headers })),
    );
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    const bodies = new Set(responses.map((r) => r.body));
    expect(bodies.size).toBe(1);
    const items = responses[0]!.json<{ items: LibraryItemDto[] }>().items;
    expect(items.map((i) => i.title)).toContain('Return of the Timecode');
    expect(items.some((i) => i.type === 'show' && i.title === 'The Timecode Hour')).toBe(true);
    expect(fake.counters.calls('search') - before).toBe(1);

    const metricsAfter = await cacheCounts('search');
    expect(metricsAfter.miss - metricsBefore.miss).toBe(1);
    expect(metricsAfter.hit - metricsBefore.hit).toBe(99);

    // Later identical searches (any case or spacing) are cache hits too.
    await get('/api/library/search?q=%20timecode');
    expect(fake.counters.calls('search') - before).toBe(1);
    expect((await cacheCounts('search')).hit - metricsAfter.hit).toBe(1);
  });

  it('answers 404 not_found for an item Plex does not have', async () => {
    const body = await get<{ error: { code: string } }>('/api/library/items/99999999', 404);
    expect(body.error.code).toBe('not_found');
  });

  it('answers 502 plex_unreachable when Plex drops the connection', async () => {
    const fault = fake.inject({ route: 'search', action: { kind: 'reset' } });
    const body = await get<{ error: { code: string; message: string } }>('/api/library/search?q=nothing-cached', 502);
    fault.remove();
    expect(body.error.code).toBe('plex_unreachable');
    expect(body.error.message).toMatch(/not reachable/);
    expect(fault.hits).toBe(3);
    // Recovery: the next search reaches Plex again (and resets the circuit breaker's failure count).
    await get('/api/library/search?q=nothing-cached');
  });

  it('answers 502 plex_error when Plex keeps failing, after retrying', async () => {
    const fault = fake.inject({ route: 'children', action: { kind: 'status', status: 500 } });
    const show = fake.catalog.shows[1]!;
    const body = await get<{ error: { code: string } }>(`/api/library/items/${show.ratingKey}/children`, 502);
    fault.remove();
    expect(body.error.code).toBe('plex_error');
    expect(fault.hits).toBe(3);
    await get(`/api/library/items/${show.ratingKey}/children`);
  });

  it('resolves streams for the proxy: original plays the file, lower qualities transcode to HLS', async () => {
    const source = await app.library.sourceFor(undefined);
    const movie = fake.catalog.movies[0]!;
    const file = await source.resolveStream(movie.ratingKey, 'original');
    expect(file).toEqual({
      kind: 'file',
      url: `${fake.url}${movie.part.key}`,
      headers: expect.objectContaining({ 'X-Plex-Token': fake.token }),
      mimeType: 'video/mp4',
      sizeBytes: movie.clip.mp4Bytes,
      subtitles: [
        {
          label: 'English (SRT External)',
          language: 'en',
          format: 'srt',
          url: `${fake.url}/library/streams/${movie.part.subtitleStreamId}`,
          headers: expect.objectContaining({ 'X-Plex-Token': fake.token }),
        },
      ],
    });
    const hls = await source.resolveStream(movie.ratingKey, '480p', { sessionKey: 'room-1-480p' });
    expect(hls).toMatchObject({ kind: 'hls', sessionKey: 'room-1-480p', mimeType: 'application/vnd.apple.mpegurl' });
    if (hls.kind !== 'hls') throw new Error('expected hls');
    expect(hls.url).not.toContain(fake.token);
    const decision = fake.counters.requests().findLast((r) => r.route === 'decision')!;
    expect(decision.query).toMatchObject({ session: 'room-1-480p', directPlay: '0', videoResolution: '854x480' });

    const master = await fetch(hls.url, { headers: hls.headers });
    expect(master.status).toBe(200);
    expect(await master.text()).toContain('#EXTM3U');
    expect(fake.transcodes.active().map((s) => s.key)).toContain('room-1-480p');
    await source.stopStream(hls);
    expect(fake.transcodes.active().map((s) => s.key)).not.toContain('room-1-480p');

    const show = fake.catalog.shows[0]!;
    await expect(source.resolveStream(show.ratingKey, 'original')).rejects.toThrow(/cannot be played itself/);
  });

  it('never shows the Plex token or address to the client', () => {
    const everything = seen.join('\n');
    expect(everything).not.toContain(fake.token);
    expect(everything).not.toContain(new URL(fake.url).host);
    expect(everything).not.toContain('/library/metadata');
    expect(everything).not.toContain('/photo/');
  });
});

describe('library API with a rejected token', () => {
  let fake: FakePlex;
  let app: App;

  beforeAll(async () => {
    fake = await startFakePlex();
    app = await buildTestApp({ PLEX_URL: fake.url, PLEX_TOKEN: 'not-the-token', PLEX_TV_URL: fake.plexTvUrl });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  it('answers 502 plex_auth, telling an admin to link Plex again', async () => {
    const { authorization } = await signIn(app);
    const response = await app.inject({ url: '/api/library/sections', headers: { authorization } });
    expect(response.statusCode).toBe(502);
    expect(response.json().error).toEqual({
      code: 'plex_auth',
      message: expect.stringMatching(/admin needs to link the Plex server again/),
    });
    expect(fake.counters.calls('sections')).toBe(1);
  });
});
