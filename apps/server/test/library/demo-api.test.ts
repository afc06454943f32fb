import type { ItemPageDto, LibraryItemDetailDto } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildTestApp, signIn } from './support/test-app.ts';

/** With no Plex configured, the library API serves the committed demo clips. */
describe('library API on the demo library', () => {
  let app: App;
  let headers: { authorization: string };

  beforeAll(async () => {
    app = await buildTestApp({});
    headers = { authorization: (await signIn(app)).authorization };
  });
  afterAll(async () => {
    await app?.close();
  });

  it('needs a session', async () => {
    for (const url of ['/api/library/sections', '/api/library/search?q=a', '/api/library/items/demo-x']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('unauthorized');
    }
  });

  it('lists the demo section and at least three playable clips, with poster URLs that work', async () => {
    const sections = await app.inject({ url: '/api/library/sections', headers });
    expect(sections.json()).toEqual({
      source: { kind: 'demo', name: 'Demo library' },
      sections: [
        { id: 'demo', title: 'Demo', type: 'movie' },
        { id: 'demo-series', title: 'Demo series', type: 'show' },
      ],
    });
    const page = (await app.inject({ url: '/api/library/sections/demo/items', headers })).json<ItemPageDto>();
    expect(page.items.length).toBeGreaterThanOrEqual(3);
    expect(page.nextCursor).toBeNull();
    for (const item of page.items) {
      expect(item.playable).toBe(true);
      expect(item.thumb).toMatch(/^\/api\/art\/[\w-]+$/);
      expect(item.thumb).not.toContain('poster');
      const art = await app.inject({ url: item.thumb! });
      expect(art.statusCode).toBe(200);
      expect(art.headers['content-type']).toBe('image/jpeg');
      expect(art.headers['cache-control']).toMatch(/^private, max-age=\d+/);
      expect(art.rawPayload.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    }
  });

  it('pages with the opaque cursor and rejects a forged one', async () => {
    const first = (await app.inject({ url: '/api/library/sections/demo/items?limit=1', headers })).json<ItemPageDto>();
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (
      await app.inject({ url: `/api/library/sections/demo/items?limit=1&cursor=${first.nextCursor}`, headers })
    ).json<ItemPageDto>();
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    const forged = await app.inject({ url: '/api/library/sections/demo/items?cursor=abc', headers });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error.code).toBe('bad_cursor');
  });

  it('searches, shows details and answers 404 for an unknown item', async () => {
    const page = (await app.inject({ url: '/api/library/sections/demo/items', headers })).json<ItemPageDto>();
    const target = page.items[0]!;
    const search = await app.inject({ url: `/api/library/search?q=${encodeURIComponent(target.title)}`, headers });
    expect(search.json().items.map((i: { id: string }) => i.id)).toContain(target.id);

    const detail = (await app.inject({ url: `/api/library/items/${target.id}`, headers })).json<LibraryItemDetailDto>();
    expect(detail).toMatchObject({ id: target.id, title: target.title, media: { container: 'mp4' } });
    expect((await app.inject({ url: `/api/library/items/${target.id}/children`, headers })).json()).toEqual({
      items: [],
    });

    const missing = await app.inject({ url: '/api/library/items/demo-gone', headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it('refuses art ids it did not issue', async () => {
    const forged = await app.inject({ url: `/api/art/${'A'.repeat(60)}` });
    expect(forged.statusCode).toBe(404);
  });

  it('resolves streams for the proxy through app.library', async () => {
    const source = await app.library.sourceFor(undefined);
    expect(source.kind).toBe('demo');
    const id = (await source.items('demo', undefined, 1)).items[0]!.id;
    expect(await source.resolveStream(id, 'original')).toMatchObject({ kind: 'local-file' });
    expect(await source.resolveStream(id, '720p')).toMatchObject({ kind: 'local-hls' });
    expect((await app.library.sourceForRoom('dev:lobby')).key).toBe('demo');
  });
});

describe('OpenAPI', () => {
  let app: App;
  beforeAll(async () => {
    app = await buildTestApp({});
  });
  afterAll(async () => {
    await app?.close();
  });

  it('documents the library and Plex-linking routes', async () => {
    const response = await app.inject({ url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json<{ paths: Record<string, unknown> }>().paths);
    for (const path of [
      '/api/library/sections',
      '/api/library/sections/{id}/items',
      '/api/library/search',
      '/api/library/items/{id}',
      '/api/library/items/{id}/children',
      '/api/art/{*}',
      '/api/plex/pins',
      '/api/plex/pins/{id}',
      '/api/plex/servers',
      '/api/plex/servers/{id}',
    ]) {
      expect(paths).toContain(path);
    }
  });
});
