import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from './index.ts';
import { createSpecValidator, loadPlexSpec, SPEC_MISSING_NOTICE, type SpecValidator } from './spec.ts';
import { plexFetch } from './test-client.ts';

/**
 * The fake's JSON answers, checked against the community OpenAPI description of the Plex API
 * (LukeHagar/plex-api-spec, Apache-2.0) plus spec-overlay.yaml for its known gaps.
 */
const spec = loadPlexSpec();
if (!spec) console.warn(SPEC_MISSING_NOTICE);

describe.skipIf(!spec)('fake Plex answers match the Plex API spec', () => {
  let fake: FakePlex;
  let validator: SpecValidator;
  beforeAll(async () => {
    validator = createSpecValidator(spec!);
    fake = await startFakePlex();
  });
  afterAll(() => fake?.close());

  const errorsText = (errors: unknown[]) => JSON.stringify(errors.slice(0, 5), null, 2);

  async function expectPms(
    template: string,
    path: string,
    init: RequestInit & { headers?: Record<string, string> } = {},
  ) {
    const res = await plexFetch(fake, path, init);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = await res.json();
    const errors = validator.response(init.method ?? 'get', template, 200, body);
    expect(errors, `${path}\n${errorsText(errors)}`).toEqual([]);
    return body;
  }

  it.each([
    ['/identity', '/identity'],
    ['/library/sections', '/library/sections'],
    ['/library/sections/{sectionId}/all', '/library/sections/1/all'],
    ['/library/sections/{sectionId}/all', '/library/sections/1/all?X-Plex-Container-Start=3&X-Plex-Container-Size=4'],
    ['/library/sections/{sectionId}/all', '/library/sections/2/all'],
    ['/library/sections/{sectionId}/all', '/library/sections/2/all?type=3'],
    ['/library/sections/{sectionId}/all', '/library/sections/2/all?type=4'],
    ['/library/metadata/{ids}', '/library/metadata/101'],
    ['/library/metadata/{ids}', '/library/metadata/105,201,211,301'],
    ['/library/metadata/{ids}/children', '/library/metadata/201/children'],
    ['/library/metadata/{ids}/children', '/library/metadata/211/children'],
    ['/hubs/search', '/hubs/search?query=sync&limit=10'],
    ['/hubs/search', '/hubs/search?query=zzzz'],
  ])('%s ← GET %s', async (template, path) => {
    await expectPms(template, path);
  });

  it('/{transcodeType}/:/transcode/universal/decision, direct play and transcode', async () => {
    const template = '/{transcodeType}/:/transcode/universal/decision';
    await expectPms(
      template,
      '/video/:/transcode/universal/decision?path=/library/metadata/101&directPlay=1&protocol=hls',
    );
    await expectPms(
      template,
      '/video/:/transcode/universal/decision?path=/library/metadata/301&directPlay=0&directStream=1&protocol=hls&session=x',
    );
  });

  it('/transcode/sessions and /status/sessions while a session runs', async () => {
    await plexFetch(
      fake,
      '/video/:/transcode/universal/start.m3u8?path=/library/metadata/102&session=spec-1&protocol=hls',
    );
    const sessions = await expectPms('/transcode/sessions', '/transcode/sessions');
    expect(sessions.MediaContainer.size).toBe(1);
    const status = await expectPms('/status/sessions', '/status/sessions');
    expect(status.MediaContainer.size).toBe(1);
    await plexFetch(fake, '/transcode/sessions/spec-1', { method: 'DELETE' });
  });

  it('plex.tv: pins, user and resources, and their errors', async () => {
    const headers = { Accept: 'application/json', 'X-Plex-Client-Identifier': 'spec-client', 'X-Plex-Product': 'DPP' };
    const check = async (method: string, template: string, url: string, status: number, token?: string) => {
      const res = await fetch(`${fake.plexTvUrl}${url}`, {
        method: method.toUpperCase(),
        headers: token ? { ...headers, 'X-Plex-Token': token } : headers,
      });
      expect(res.status, url).toBe(status);
      const body = await res.json();
      const errors = validator.response(method, template, status, body);
      expect(errors, `${url}\n${errorsText(errors)}`).toEqual([]);
      return body;
    };
    const pin = await check('post', '/pins', '/api/v2/pins?strong=true', 201);
    await check('get', '/pins/{pinId}', `/api/v2/pins/${pin.id}`, 200);
    fake.approvePin(pin.id);
    await check('get', '/pins/{pinId}', `/api/v2/pins/${pin.id}`, 200);
    await check('get', '/pins/{pinId}', '/api/v2/pins/42', 404);
    await check('get', '/user', '/api/v2/user', 200, fake.userToken);
    await check('get', '/user', '/api/v2/user', 401, 'wrong');
    await check('get', '/resources', '/api/v2/resources?includeHttps=1&includeRelay=1', 200, fake.userToken);
    await check('get', '/resources', '/api/v2/resources', 401);
  });

  it('is not vacuous: a broken answer fails validation', async () => {
    const body = await expectPms('/library/metadata/{ids}', '/library/metadata/101');
    delete body.MediaContainer.Metadata[0].title;
    body.MediaContainer.Metadata[0].Media[0].Part[0].Stream[0].streamType = 9;
    const errors = validator.response('get', '/library/metadata/{ids}', 200, body);
    expect(errors.map((e) => e.instancePath)).toEqual(
      expect.arrayContaining([
        '/MediaContainer/Metadata/0',
        '/MediaContainer/Metadata/0/Media/0/Part/0/Stream/0/streamType',
      ]),
    );
  });

  it('documents the transcoder parameters the Plex client sends (overlay adds session and maxVideoBitrate)', () => {
    const names = validator.parameterNames('get', '/{transcodeType}/:/transcode/universal/start.{extension}');
    for (const name of [
      'path',
      'protocol',
      'directPlay',
      'directStream',
      'videoResolution',
      'session',
      'maxVideoBitrate',
    ]) {
      expect(names).toContain(name);
    }
  });
});
