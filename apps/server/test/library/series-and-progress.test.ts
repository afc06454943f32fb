import type { ContinueWatchingDto, LibraryItemDetailDto, LibraryItemDto } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DemoSource } from '../../src/library/demo-source.ts';
import { nextEpisodeOf } from '../../src/library/next-episode.ts';
import { NotPlayableError } from '../../src/media/errors.ts';
import { type App, buildTestApp, postgresDatabase, signIn } from './support/test-app.ts';

/** The demo series through the library, and resume ("Continue watching") through the API on real PostgreSQL. */
describe('the demo series', () => {
  let demo: DemoSource;
  beforeAll(async () => {
    demo = await DemoSource.load();
  });

  it('is a show section: a show with two seasons, three episodes in all, each with intro and credits', async () => {
    expect(await demo.sections()).toEqual([
      { id: 'demo', title: 'Demo', type: 'movie' },
      { id: 'demo-series', title: 'Demo series', type: 'show' },
    ]);
    const [show, ...others] = (await demo.items('demo-series', undefined, 50)).items;
    expect(others).toEqual([]);
    expect(show).toMatchObject({ type: 'show', title: 'Signal Hill', childCount: 2, playable: false });
    const seasons = await demo.children(show!.id);
    expect(seasons.map((s) => [s.title, s.index, s.parentId])).toEqual([
      ['Season 1', 1, show!.id],
      ['Season 2', 2, show!.id],
    ]);
    const episodes = (await Promise.all(seasons.map((s) => demo.children(s.id)))).flat();
    expect(episodes.length).toBeGreaterThanOrEqual(3);
    for (const episode of episodes) {
      expect(episode).toMatchObject({ type: 'episode', playable: true, grandparentTitle: 'Signal Hill' });
      const detail = await demo.item(episode.id);
      expect(detail.markers.map((m) => m.type)).toEqual(['intro', 'credits']);
      const [intro, credits] = detail.markers;
      expect(intro!.startMs).toBeLessThan(intro!.endMs);
      expect(credits).toMatchObject({ final: true, endMs: detail.durationMs });
      const stream = await demo.resolveStream(episode.id, 'original');
      expect(stream.subtitles?.map((s) => s.language)).toEqual(['en']);
    }
    // The films keep their own section, without markers.
    const film = (await demo.items('demo', undefined, 1)).items[0]!;
    expect((await demo.item(film.id)).markers).toEqual([]);
    await expect(demo.resolveStream(show!.id, 'original')).rejects.toBeInstanceOf(NotPlayableError);
  });

  it('goes on to the next episode across seasons, and stops after the last', async () => {
    const [show] = (await demo.items('demo-series', undefined, 1)).items;
    const seasons = await demo.children(show!.id);
    const episodes = (await Promise.all(seasons.map((s) => demo.children(s.id)))).flat();
    const order: (string | undefined)[] = [];
    for (const episode of episodes) order.push((await nextEpisodeOf(demo, episode.id))?.id);
    expect(order).toEqual([...episodes.slice(1).map((e) => e.id), undefined]);
    // The last of season 1 is followed by the first of season 2.
    const lastOfFirst = (await demo.children(seasons[0]!.id)).at(-1)!;
    expect((await nextEpisodeOf(demo, lastOfFirst.id))?.parentIndex).toBe(2);
    const film = (await demo.items('demo', undefined, 1)).items[0]!;
    expect(await nextEpisodeOf(demo, film.id)).toBeUndefined();
  });
});

const services = inject('services');

describe.skipIf(!services.postgres)('resume and "Continue watching" (library API, real PostgreSQL)', () => {
  let app: App;
  let database: Awaited<ReturnType<typeof postgresDatabase>>;
  let headers: { authorization: string };
  let actor: { userId: string; name: string; avatar: null };
  let episodes: LibraryItemDto[];
  const ROOM = 'dev:series-night';

  beforeAll(async () => {
    database = await postgresDatabase();
    app = await buildTestApp({ DATABASE_URL: database.url });
    const session = await signIn(app, 'Ada');
    headers = { authorization: session.authorization };
    actor = { userId: session.userId, name: 'Ada', avatar: null };
    const [show] = (await app.inject({ url: '/api/library/sections/demo-series/items', headers })).json<{
      items: LibraryItemDto[];
    }>().items;
    const seasons = (await app.inject({ url: `/api/library/items/${show!.id}/children`, headers })).json<{
      items: LibraryItemDto[];
    }>().items;
    episodes = [];
    for (const season of seasons) {
      const url = `/api/library/items/${season.id}/children`;
      episodes.push(...(await app.inject({ url, headers })).json<{ items: LibraryItemDto[] }>().items);
    }
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const command = async (intent: Parameters<App['rooms']['command']>[2]) => {
    const result = await app.rooms.command(ROOM, actor, intent);
    expect(result).toMatchObject({ ok: true });
    await app.rooms.idle();
    await app.progress.flush();
  };
  const continueWatching = async () =>
    (await app.inject({ url: '/api/library/continue', headers })).json<ContinueWatchingDto>().items;
  const resumeOf = async (id: string) =>
    (await app.inject({ url: `/api/library/items/${id}/resume`, headers })).json<{
      resume: { positionMs: number } | null;
    }>().resume;

  it('serves markers in item details', async () => {
    const detail = (
      await app.inject({ url: `/api/library/items/${episodes[0]!.id}`, headers })
    ).json<LibraryItemDetailDto>();
    expect(detail.markers).toEqual([
      { type: 'intro', startMs: expect.any(Number), endMs: expect.any(Number), final: false },
      { type: 'credits', startMs: expect.any(Number), endMs: detail.durationMs, final: true },
    ]);
  });

  it('lists items left part-way, newest first with their positions, and drops them once watched', async () => {
    expect(await continueWatching()).toEqual([]);
    const [first, second] = episodes;
    await command({ op: 'load', itemId: first!.id });
    await command({ op: 'pause' });
    await command({ op: 'seek', positionMs: 6_000 });
    await command({ op: 'load', itemId: second!.id });
    await command({ op: 'pause' });
    await command({ op: 'seek', positionMs: 7_500 });

    const row = await continueWatching();
    expect(row.map((r) => [r.item.id, r.progress.positionMs])).toEqual([
      [second!.id, 7_500],
      [first!.id, 6_000],
    ]);
    expect(row[0]!.item.thumb).toMatch(/^\/api\/art\//);
    expect(row[0]!.progress.durationMs).toBe(second!.durationMs);
    expect(await resumeOf(first!.id)).toMatchObject({ positionMs: 6_000 });

    // Into the credits: watched, so it leaves the row and is not offered for resuming.
    const detail = (
      await app.inject({ url: `/api/library/items/${second!.id}`, headers })
    ).json<LibraryItemDetailDto>();
    const credits = detail.markers.find((m) => m.type === 'credits')!;
    await command({ op: 'seek', positionMs: credits.startMs + 500 });
    expect((await continueWatching()).map((r) => r.item.id)).toEqual([first!.id]);
    expect(await resumeOf(second!.id)).toBeNull();
  });

  it('refuses a malformed item id and an unknown guild shape with 400', async () => {
    expect((await app.inject({ url: '/api/library/items/bad%20id/resume', headers })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/library/continue?guildId=abc', headers })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/library/continue' })).statusCode).toBe(401);
  });
});
