import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from './index.ts';
import {
  createSpecValidator,
  loadOfficialPlexSpec,
  loadPlexSpec,
  officialSpecFile,
  type SpecValidator,
} from './spec.ts';
import { plexFetch } from './test-client.ts';

/**
 * Every Media Server answer the Plex client parses, checked against Plex's own OpenAPI description
 * (plex-pms-openapi.json, with pms-openapi-overlay.yaml for its differences), and against the
 * community description (spec-overlay.yaml) where Plex's does not cover the endpoint.
 */
const official = loadOfficialPlexSpec();
const community = loadPlexSpec();
if (!official || !community) {
  console.warn(`\nSKIPPING the validation against Plex's own API description: ${officialSpecFile} is absent.\n`);
}

/** What the client calls → which description covers it, and under which path template. */
const ENDPOINTS: { request: string; method: string; spec: 'official' | 'community'; template: string }[] = (
  [
    { request: '/identity', spec: 'official', template: '/identity' },
    // The client lists libraries at /library/sections, the same answer as /library/sections/all.
    { request: '/library/sections', spec: 'official', template: '/library/sections/all' },
    {
      request: '/library/sections/1/all?X-Plex-Container-Start=0&X-Plex-Container-Size=5',
      spec: 'official',
      template: '/library/sections/{sectionId}/all',
    },
    { request: '/library/sections/2/all', spec: 'official', template: '/library/sections/{sectionId}/all' },
    { request: '/library/metadata/101', spec: 'official', template: '/library/metadata/{ids}' },
    { request: '/library/metadata/301?includeMarkers=1', spec: 'official', template: '/library/metadata/{ids}' },
    { request: '/library/metadata/101?includeMarkers=1', spec: 'official', template: '/library/metadata/{ids}' },
    { request: '/library/metadata/201/children', spec: 'community', template: '/library/metadata/{ids}/children' },
    { request: '/library/metadata/211/children', spec: 'community', template: '/library/metadata/{ids}/children' },
    { request: '/hubs/search?query=sync&limit=10', spec: 'official', template: '/hubs/search' },
    {
      request:
        '/video/:/transcode/universal/decision?path=/library/metadata/101&directPlay=1&protocol=hls&location=lan',
      spec: 'official',
      template: '/{transcodeType}/:/transcode/universal/decision',
    },
    {
      request: '/video/:/transcode/universal/decision?path=/library/metadata/301&directPlay=0&protocol=hls&session=s',
      spec: 'official',
      template: '/{transcodeType}/:/transcode/universal/decision',
    },
    {
      request: '/:/timeline?ratingKey=101&key=/library/metadata/101&state=playing&time=1000&duration=30000',
      method: 'post',
      spec: 'official',
      template: '/:/timeline',
    },
    { request: '/status/sessions', spec: 'official', template: '/status/sessions' },
    { request: '/transcode/sessions', spec: 'community', template: '/transcode/sessions' },
  ] as { request: string; method?: string; spec: 'official' | 'community'; template: string }[]
).map((endpoint) => ({ ...endpoint, method: endpoint.method ?? 'get' }));

describe.skipIf(!official || !community)("fake Plex answers as Plex's own API description says", () => {
  let fake: FakePlex;
  let validators: Record<'official' | 'community', SpecValidator>;

  beforeAll(async () => {
    validators = { official: createSpecValidator(official!), community: createSpecValidator(community!) };
    fake = await startFakePlex();
  });
  afterAll(() => fake?.close());

  it.each(ENDPOINTS)('$method $request ← $spec $template', async ({ request, method, spec, template }) => {
    const response = await plexFetch(fake, request, { method: method.toUpperCase() });
    expect(response.status, request).toBe(200);
    const body = await response.json();
    const errors = validators[spec].response(method, template, 200, body);
    expect(errors, JSON.stringify(errors.slice(0, 5), null, 2)).toEqual([]);
  });

  it('answers markers for the series work, and a wrong marker fails validation (not vacuous)', async () => {
    const response = await plexFetch(fake, '/library/metadata/301?includeMarkers=1');
    const body = (await response.json()) as { MediaContainer: { Metadata: { Marker?: { type: string }[] }[] } };
    const markers = body.MediaContainer.Metadata[0]!.Marker!;
    expect(markers.map((m) => m.type)).toEqual(['intro', 'credits']);
    markers[0]!.type = 'opening';
    const errors = validators.official.response('get', '/library/metadata/{ids}', 200, body);
    expect(errors.map((e) => e.instancePath)).toContain('/MediaContainer/Metadata/0/Marker/0/type');
    const plain = (await (await plexFetch(fake, '/library/metadata/301')).json()) as typeof body;
    expect(plain.MediaContainer.Metadata[0]!.Marker).toBeUndefined();
  });

  it('documents, with the overlay, every transcoder parameter the client sends', () => {
    const names = validators.official.parameterNames('get', '/{transcodeType}/:/transcode/universal/decision');
    for (const name of ['path', 'protocol', 'directPlay', 'directStream', 'location', 'session', 'maxVideoBitrate']) {
      expect(names).toContain(name);
    }
    const timeline = validators.official.parameterNames('post', '/:/timeline');
    for (const name of ['ratingKey', 'key', 'state', 'time', 'duration', 'continuing'])
      expect(timeline).toContain(name);
  });
});
