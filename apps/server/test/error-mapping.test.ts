import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiErrorSchema } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import {
  InvalidCursorError,
  ItemNotFoundError,
  NotPlayableError,
  SourceUnauthorizedError,
  SourceUnavailableError,
  SourceUpstreamError,
} from '../src/media/errors.ts';
import { PlexNotFoundError, PlexUnreachableError } from '../src/plex/errors.ts';
import { PinNotLinkedError, ServerNotAvailableError, UnknownPinError } from '../src/plex/linking.ts';
import { toSourceError } from '../src/plex/source-errors.ts';
import { PlaylistParseError } from '../src/streams/hls-rewrite.ts';

/** Every typed error a route or a capability throws, and what the API answers for it. */
const CASES: Array<[string, () => Error, number, string]> = [
  ['item not found', () => new ItemNotFoundError('such item'), 404, 'not_found'],
  ['invalid cursor', () => new InvalidCursorError(), 400, 'bad_cursor'],
  ['not playable', () => new NotPlayableError('A show'), 409, 'not_playable'],
  ['source unavailable', () => new SourceUnavailableError('down'), 502, 'plex_unreachable'],
  ['source unauthorized', () => new SourceUnauthorizedError('refused'), 502, 'plex_auth'],
  ['bad upstream', () => new SourceUpstreamError('HTTP 500'), 502, 'plex_error'],
  ['unknown PIN', () => new UnknownPinError(), 404, 'not_found'],
  ['PIN not linked', () => new PinNotLinkedError(), 409, 'pin_not_linked'],
  ['server not available', () => new ServerNotAvailableError('gone'), 404, 'not_found'],
  ['unusable playlist', () => new PlaylistParseError('outside'), 502, 'upstream_playlist_invalid'],
];

/** The app's one error handler, fed each typed error by a route that only throws. */
describe('the one mapping of errors to HTTP answers', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;
  const thrown = new Map<string, () => Error>(CASES.map(([name, make]) => [name, make]));

  beforeAll(async () => {
    const config = loadConfig({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-')), DATABASE_URL: 'memory://' });
    app = await buildApp({ config, logger: false, activityRoot: '/nonexistent' });
    for (const prefix of ['/api/test', '/api/bot/test']) {
      app.get<{ Params: { name: string } }>(`${prefix}/:name`, async (request) => {
        throw thrown.get(request.params.name)!();
      });
    }
  });
  afterAll(() => app.close());

  it.each(CASES)('answers %s with its status, its code and the one error body', async (name, _make, status, code) => {
    const response = await app.inject(`/api/test/${encodeURIComponent(name)}`);
    expect(response.statusCode).toBe(status);
    const body = apiErrorSchema.parse(response.json());
    expect(body.error.code).toBe(code);
    expect(body.error.message).not.toMatch(/HTTP 500|refused|down\b/);
  });

  it('tells the bot that its library did not answer with 503 plex_unavailable, other errors as they are', async () => {
    for (const [name, , status, code] of CASES) {
      const response = await app.inject(`/api/bot/test/${encodeURIComponent(name)}`);
      const failedSource = status === 502 && code.startsWith('plex_');
      expect(response.statusCode, name).toBe(failedSource ? 503 : status);
      expect(response.json().error.code, name).toBe(failedSource ? 'plex_unavailable' : code);
    }
  });

  it('receives Plex failures only as source-neutral errors, the Plex error kept as the cause', () => {
    const gone = new PlexNotFoundError('metadata', 'Plex has no item 7.', 404);
    const translated = toSourceError(gone);
    expect(translated).toBeInstanceOf(ItemNotFoundError);
    expect((translated as Error).cause).toBe(gone);
    expect(toSourceError(new PlexUnreachableError('sections', 'no answer'))).toBeInstanceOf(SourceUnavailableError);
    const bug = new TypeError('a bug');
    expect(toSourceError(bug)).toBe(bug);
  });
});
