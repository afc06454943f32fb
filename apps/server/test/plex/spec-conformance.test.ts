import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, type FakePlexRoute, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { createSpecValidator, loadPlexSpec, SPEC_MISSING_NOTICE } from '../../../../tests/fakes/plex/spec.ts';
import { MemoryCache } from '../../src/infra/memory-cache.ts';
import { createMetrics } from '../../src/infra/metrics.ts';
import { defaultIdentity } from '../../src/plex/headers.ts';
import { PlexClient } from '../../src/plex/plex-client.ts';
import { PlexSource } from '../../src/plex/plex-source.ts';
import { PlexTvClient } from '../../src/plex/plex-tv-client.ts';

/**
 * Every query parameter the Plex client sends is one the community Plex API description documents
 * (with the fake's overlay for the spec's known gaps), so the client asks the way real clients do.
 */
const spec = loadPlexSpec();
if (!spec) console.warn(SPEC_MISSING_NOTICE);

/** Which operation of the spec each fake route is. */
const OPERATIONS: Partial<Record<FakePlexRoute, [method: string, path: string]>> = {
  identity: ['get', '/identity'],
  sections: ['get', '/library/sections'],
  sectionItems: ['get', '/library/sections/{sectionId}/all'],
  metadata: ['get', '/library/metadata/{ids}'],
  children: ['get', '/library/metadata/{ids}/children'],
  search: ['get', '/hubs/search'],
  photoTranscode: ['get', '/photo/:/transcode'],
  decision: ['get', '/{transcodeType}/:/transcode/universal/decision'],
  transcodeStart: ['get', '/{transcodeType}/:/transcode/universal/start.{extension}'],
  transcodeStop: ['get', '/{transcodeType}/:/transcode/universal/stop'],
  pinCreate: ['post', '/pins'],
  pinGet: ['get', '/pins/{pinId}'],
  resources: ['get', '/resources'],
};

describe.skipIf(!spec)('the Plex client asks as the Plex API documents', () => {
  let fake: FakePlex;

  beforeAll(async () => {
    fake = await startFakePlex();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('sends only documented query parameters to every endpoint it uses', async () => {
    const identity = defaultIdentity('dpp-spec-test');
    const client = new PlexClient({ baseUrl: fake.url, token: fake.token, identity, metrics: createMetrics() });
    const source = new PlexSource('spec', 'Plex', client, new MemoryCache());
    const tv = new PlexTvClient({ baseUrl: fake.plexTvUrl, identity });

    const movie = fake.catalog.movies[0]!;
    await client.identity();
    const [section] = await source.sections();
    await source.items(section!.id, undefined, 5);
    await source.item(movie.ratingKey);
    await source.children(fake.catalog.shows[0]!.ratingKey);
    await source.search('sync', 10);
    const image = await source.art((await source.item(movie.ratingKey)).thumb!, 'poster');
    image.body.resume();
    await source.resolveStream(movie.ratingKey, 'original');
    const hls = await source.resolveStream(movie.ratingKey, '720p', { sessionKey: 'spec-session' });
    if (hls.kind !== 'hls') throw new Error('expected hls');
    await fetch(hls.url, { headers: hls.headers }).then((r) => r.text());
    await source.stopStream(hls);
    const pin = await tv.createPin();
    await tv.pin(pin.id);
    await tv.resources(fake.userToken);

    const validator = createSpecValidator(spec!);
    const checked = new Set<string>();
    for (const request of fake.counters.requests()) {
      const operation = OPERATIONS[request.route];
      expect(operation, `no spec operation mapped for ${request.route}`).toBeDefined();
      const documented = new Set(validator.parameterNames(...operation!));
      const undocumented = Object.keys(request.query).filter((name) => !documented.has(name));
      expect(undocumented, `${request.method} ${request.path}`).toEqual([]);
      expect(request.headers['x-plex-client-identifier']).toBe('dpp-spec-test');
      checked.add(request.route);
    }
    expect([...checked].sort()).toEqual(Object.keys(OPERATIONS).sort());
  });
});
