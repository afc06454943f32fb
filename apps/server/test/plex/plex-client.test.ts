import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../tests/support/wait.ts';
import { createMetrics } from '../../src/infra/metrics.ts';
import { PlexAuthError, PlexNotFoundError, PlexUnreachableError, PlexUpstreamError } from '../../src/plex/errors.ts';
import { defaultIdentity } from '../../src/plex/headers.ts';
import { PlexClient } from '../../src/plex/plex-client.ts';

/**
 * The client's own behaviour (headers, errors, retries, breaker, timeouts) against a tiny local
 * server whose every answer the test decides. The fake Plex suites cover the real endpoints.
 */
type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const TOKEN = 'secret-token-123';
let server: Server;
let base: string;
let handler: Handler;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request);
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  seen.length = 0;
});

const json =
  (body: unknown, status = 200): Handler =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
const identity = { MediaContainer: { machineIdentifier: 'abc', version: '1.40.0' } };

function client(http = {}) {
  const metrics = createMetrics();
  const plex = new PlexClient({
    baseUrl: `${base}/`,
    token: TOKEN,
    identity: defaultIdentity('dpp-test'),
    metrics,
    http: { initialDelayMs: 1, maxDelayMs: 2, ...http },
  });
  return { plex, metrics };
}

describe('PlexClient', () => {
  it('sends the X-Plex-* headers and the token as a header, never in the URL', async () => {
    handler = json(identity);
    const { plex } = client();
    await expect(plex.identity()).resolves.toMatchObject({ machineIdentifier: 'abc' });
    const request = seen[0]!;
    expect(request.headers).toMatchObject({
      accept: 'application/json',
      'x-plex-token': TOKEN,
      'x-plex-product': 'Discord Plex Player',
      'x-plex-client-identifier': 'dpp-test',
      'x-plex-platform': 'Chrome',
    });
    expect(request.headers['x-plex-version']).toBeTruthy();
    expect(request.headers['x-plex-device']).toBeTruthy();
    expect(request.url).toBe('/identity');
  });

  it('pages section items with X-Plex-Container-Start/Size and reads the total', async () => {
    handler = json({
      MediaContainer: {
        size: 1,
        totalSize: 7,
        offset: 5,
        Metadata: [{ ratingKey: 12, key: '/library/metadata/12', type: 'movie', title: 'M', addedAt: 1 }],
      },
    });
    const page = await client().plex.sectionItems('3', 5, 1);
    expect(new URL(seen[0]!.url!, base).searchParams.get('X-Plex-Container-Start')).toBe('5');
    expect(new URL(seen[0]!.url!, base).searchParams.get('X-Plex-Container-Size')).toBe('1');
    expect(page).toMatchObject({ offset: 5, total: 7, items: [{ ratingKey: '12', title: 'M' }] });
  });

  it('maps 401/403 to PlexAuthError and 404 to PlexNotFoundError, without retrying them', async () => {
    for (const [status, type] of [
      [401, PlexAuthError],
      [403, PlexAuthError],
      [404, PlexNotFoundError],
    ] as const) {
      seen.length = 0;
      handler = json({}, status);
      await expect(client().plex.metadata('1')).rejects.toBeInstanceOf(type);
      expect(seen).toHaveLength(1);
    }
  });

  it('retries a transient 503 with backoff and then succeeds', async () => {
    let calls = 0;
    handler = (request, response) =>
      ++calls < 3 ? json({}, 503)(request, response) : json(identity)(request, response);
    const { plex, metrics } = client();
    await expect(plex.identity()).resolves.toMatchObject({ machineIdentifier: 'abc' });
    expect(calls).toBe(3);
    const errors = await metrics.plexErrors.get();
    expect(errors.values).toContainEqual(
      expect.objectContaining({ labels: { endpoint: 'identity', kind: 'upstream' }, value: 2 }),
    );
    const latency = await metrics.registry.getSingleMetricAsString('dpp_plex_request_duration_seconds');
    expect(latency).toContain('dpp_plex_request_duration_seconds_count{endpoint="identity"} 3');
  });

  it('gives up after the retries with PlexUpstreamError carrying the status', async () => {
    handler = json({}, 500);
    const error = await client({ retries: 2 })
      .plex.identity()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlexUpstreamError);
    expect((error as PlexUpstreamError).status).toBe(500);
    expect(seen).toHaveLength(3);
  });

  it('reports an answer of the wrong shape as PlexUpstreamError', async () => {
    handler = json({ MediaContainer: { version: 'x' } });
    await expect(client().plex.identity()).rejects.toThrow(/unexpected shape \(MediaContainer.machineIdentifier/);
    handler = (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{nope');
    await expect(client().plex.identity()).rejects.toBeInstanceOf(PlexUpstreamError);
  });

  it('times out a silent server as unreachable, without retrying the timeout', async () => {
    handler = () => {};
    const error = await client({ timeoutMs: 100 })
      .plex.identity()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlexUnreachableError);
    expect((error as Error).message).toMatch(/within 100 ms/);
    expect(seen).toHaveLength(1);
  });

  it('reports a refused connection as unreachable, after retrying it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const plex = new PlexClient({
      baseUrl: `http://127.0.0.1:${port}`,
      token: TOKEN,
      identity: defaultIdentity('dpp-test'),
      http: { initialDelayMs: 1, maxDelayMs: 2 },
    });
    await expect(plex.sections()).rejects.toThrow(/could not be reached \(sections\): ECONNREFUSED/);
  });

  it('opens the circuit after consecutive failures, then lets a trial through', async () => {
    handler = json({}, 502);
    const { plex, metrics } = client({ retries: 0, breakerThreshold: 3, halfOpenAfterMs: 50 });
    for (let i = 0; i < 3; i++) await expect(plex.identity()).rejects.toBeInstanceOf(PlexUpstreamError);
    expect(seen).toHaveLength(3);
    const open = await plex.identity().catch((e: unknown) => e);
    expect(open).toBeInstanceOf(PlexUnreachableError);
    expect(seen).toHaveLength(3);
    const errors = await metrics.plexErrors.get();
    expect(errors.values).toContainEqual(
      expect.objectContaining({ labels: { endpoint: 'identity', kind: 'circuit_open' }, value: 1 }),
    );

    handler = json(identity);
    await waitFor(
      () =>
        plex.identity().then(
          () => true,
          () => false,
        ),
      { what: 'the circuit to close again' },
    );
  });

  it('does not count a missing item against the server', async () => {
    handler = json({}, 404);
    const { plex } = client({ retries: 0, breakerThreshold: 2 });
    for (let i = 0; i < 4; i++) await expect(plex.metadata('9')).rejects.toBeInstanceOf(PlexNotFoundError);
    expect(seen).toHaveLength(4);
  });

  it('builds transcode URLs with the session and quality caps, and the token only in headers', async () => {
    const { plex } = client();
    const start = new URL(plex.startUrl('42', '720p', 'sess-1'));
    expect(start.pathname).toBe('/video/:/transcode/universal/start.m3u8');
    expect(Object.fromEntries(start.searchParams)).toMatchObject({
      path: '/library/metadata/42',
      protocol: 'hls',
      session: 'sess-1',
      directPlay: '0',
      directStream: '1',
      videoResolution: '1280x720',
      maxVideoBitrate: '4000',
    });
    const original = new URL(plex.startUrl('42', 'original', 's'));
    expect(original.searchParams.get('directPlay')).toBe('1');
    expect(original.searchParams.has('maxVideoBitrate')).toBe(false);
    for (const url of [start.toString(), plex.partUrl('/library/parts/1/2/file.mp4'), plex.stopRequest('s').url]) {
      expect(url).not.toContain(TOKEN);
    }
    expect(plex.transcodeHeaders('sess-1')).toMatchObject({
      'X-Plex-Token': TOKEN,
      'X-Plex-Session-Identifier': 'sess-1',
    });
  });
});
