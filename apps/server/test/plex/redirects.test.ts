import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { pingStream, stopStream } from '../../src/media/media-source.ts';
import { PlexUpstreamError } from '../../src/plex/errors.ts';
import { defaultIdentity } from '../../src/plex/headers.ts';
import { PlexClient } from '../../src/plex/plex-client.ts';
import { join, leave, loadPaused, type Member } from '../streams/support/party.ts';
import { type App, startApp } from '../streams/support/stream-app.ts';

/** A server on another origin that records everything it is sent: where a leaked token would land. */
async function startSink(): Promise<{ url: string; seen: IncomingMessage[]; close(): Promise<void> }> {
  const seen: IncomingMessage[] = [];
  const server: Server = createServer((request, response) => {
    seen.push(request);
    response.end('sink');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const carriesToken = (request: IncomingMessage, token: string) =>
  JSON.stringify(request.headers).includes(token) || (request.url ?? '').includes(token);

describe('upstream requests never carry the Plex token off its origin', () => {
  let plex: FakePlex;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let client: PlexClient;

  beforeAll(async () => {
    plex = await startFakePlex();
    sink = await startSink();
    client = new PlexClient({ baseUrl: plex.url, token: plex.token, identity: defaultIdentity('dpp-test') });
  });
  afterAll(async () => {
    await plex?.close();
    await sink?.close();
  });

  it('the Plex client refuses a redirect to another origin, and the sink hears nothing', async () => {
    plex.faults.add({
      route: 'sections',
      action: { kind: 'status', status: 302, headers: { location: `${sink.url}/library/sections` } },
      times: 1,
    });
    const refused = await client.sections().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PlexUpstreamError);
    expect((refused as Error).message).toMatch(/redirected .* to another address; not followed/);
    expect((refused as Error).message).not.toContain(sink.url);
    expect(sink.seen).toHaveLength(0);
  });

  it('follows a redirect on the same origin, sending the token there itself', async () => {
    const before = plex.counters.requests('sections').length;
    plex.faults.add({
      route: 'sections',
      action: { kind: 'status', status: 301, headers: { location: '/library/sections?moved=1' } },
      times: 1,
    });
    const sections = await client.sections();
    expect(sections.length).toBeGreaterThan(0);
    const [redirected, followed] = plex.counters.requests('sections').slice(before);
    expect(redirected?.status).toBe(301);
    expect(followed?.query.moved).toBe('1');
    expect(followed?.headers['x-plex-token']).toBe(plex.token);
  });

  it('stop and keep-alive requests refuse any redirect', async () => {
    const redirector = createServer((_request, response) => {
      response.writeHead(307, { location: `${sink.url}/stolen` }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/video/:/transcode/universal/stop`;
    const request = { method: 'GET' as const, url, headers: { 'X-Plex-Token': plex.token } };
    const descriptor = {
      kind: 'hls' as const,
      url,
      headers: request.headers,
      mimeType: 'application/vnd.apple.mpegurl' as const,
      sessionKey: 's',
      stop: request,
      ping: request,
    };
    try {
      await expect(stopStream(descriptor)).rejects.toThrow();
      await expect(pingStream(descriptor)).rejects.toThrow();
    } finally {
      await new Promise((resolve) => redirector.close(resolve));
    }
    expect(sink.seen).toHaveLength(0);
  });

  describe('through the app', () => {
    let app: App;
    let base: string;
    let member: Member;

    beforeAll(async () => {
      ({ app, url: base } = await startApp({ PLEX_URL: plex.url, PLEX_TOKEN: plex.token }));
      member = await join(base, 'dev:redirects', 'Watcher');
      await loadPaused(member, '101');
    });
    afterAll(async () => {
      if (member) await leave(member);
      await app?.close();
    });

    it('the stream proxy answers a redirected file with an error, and the sink sees no token', async () => {
      const offer = await fetch(`${base}/api/rooms/dev:redirects/stream?quality=original`, { headers: member.auth });
      const { url } = (await offer.json()) as { url: string };
      plex.faults.add({
        route: 'part',
        action: { kind: 'status', status: 302, headers: { location: `${sink.url}/part` } },
      });
      try {
        const proxied = await fetch(`${base}${url}`, { headers: { range: 'bytes=0-1023' } });
        expect(proxied.status).toBeGreaterThanOrEqual(500);
        expect(proxied.headers.get('location')).toBeNull();
        expect(await proxied.text()).not.toContain(sink.url);
      } finally {
        plex.faults.clear();
      }
      const library = await fetch(`${base}/api/library/sections`, { headers: member.auth });
      expect(library.status).toBe(200);
      expect(sink.seen.filter((request) => carriesToken(request, plex.token))).toEqual([]);
      expect(sink.seen).toHaveLength(0);
    });
  });
});
