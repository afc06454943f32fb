import { randomBytes } from 'node:crypto';
import type { LibraryItemDto } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { TEST_REDIS_URL } from '../../../../tests/support/services.ts';
import { type App, buildTestApp, signIn } from './support/test-app.ts';

const services = inject('services');

/**
 * With REDIS_URL, the library cache is shared: two server instances behind a load balancer ask Plex
 * once between them. (Keys are per Plex server and token, so other runs on this Redis never collide.)
 */
describe.skipIf(!services.redis)('library cache shared through Redis', () => {
  let fake: FakePlex;
  const apps: App[] = [];
  const headers: Array<{ authorization: string }> = [];

  beforeAll(async () => {
    fake = await startFakePlex();
    const secret = randomBytes(32).toString('base64');
    for (let i = 0; i < 2; i++) {
      const app = await buildTestApp({
        PLEX_URL: fake.url,
        PLEX_TOKEN: fake.token,
        PLEX_TV_URL: fake.plexTvUrl,
        REDIS_URL: TEST_REDIS_URL,
        SECRET_KEY: secret,
      });
      apps.push(app);
      headers.push({ authorization: (await signIn(app)).authorization });
    }
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await fake?.close();
  });

  it('makes one upstream search for 100 concurrent searches, and the other instance reads it from Redis', async () => {
    const [first, second] = apps as [App, App];
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => first.inject({ url: '/api/library/search?q=sync', headers: headers[0] })),
    );
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    expect(fake.counters.calls('search')).toBe(1);

    const other = await second.inject({ url: '/api/library/search?q=sync', headers: headers[1] });
    expect(other.statusCode).toBe(200);
    expect(other.json<{ items: LibraryItemDto[] }>().items.map((i) => i.id)).toEqual(
      responses[0]!.json<{ items: LibraryItemDto[] }>().items.map((i) => i.id),
    );
    expect(fake.counters.calls('search')).toBe(1);
    const metrics = (await second.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('dpp_cache_requests_total{namespace="search",result="hit"} 1');
  });

  it('shares metadata and art between instances too', async () => {
    const [first, second] = apps as [App, App];
    const movie = fake.catalog.movies[2]!;
    const a = await first.inject({ url: `/api/library/items/${movie.ratingKey}`, headers: headers[0] });
    const b = await second.inject({ url: `/api/library/items/${movie.ratingKey}`, headers: headers[1] });
    expect(b.json().title).toBe(a.json().title);
    expect(fake.counters.calls('metadata')).toBe(1);

    // An art id issued by one instance works on the other (same SECRET_KEY), from the shared bytes.
    const thumb = a.json<LibraryItemDto>().thumb!;
    expect((await first.inject({ url: thumb })).statusCode).toBe(200);
    const art = await second.inject({ url: thumb });
    expect(art.statusCode).toBe(200);
    expect(art.headers['content-type']).toBe('image/jpeg');
    expect(fake.counters.calls('photoTranscode')).toBe(1);
  });
});
