import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { waitFor } from '../../../../tests/support/wait.ts';
import { join, leave, loadPaused, type Member, Parties } from './support/party.ts';
import { type App, bytesOf, startApp } from './support/stream-app.ts';

const MOVIE = '101';
const OTHER_MOVIE = '102';
const CHUNK_KB = 64;
// Direct-play chunks are cached by file: tests that count upstream reads use files of their own.
const ABORT_MOVIE = '104';
const PARTY_MOVIE = '105';

/** Headers a client may ever see on a proxied file, besides the transport's own. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
const ALLOWED = new Set(['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified']);

/** URIs of a playlist: the non-comment lines and every URI="…" attribute. */
function playlistUris(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    if (line.startsWith('#')) return [...line.matchAll(/URI="([^"]*)"/g)].map((m) => m[1] ?? '');
    return line.trim() ? [line.trim()] : [];
  });
}

/** Everything one viewer's player fetches for an HLS stream, depth first: playlists then segments. */
async function playAll(masterUrl: string): Promise<Map<string, Buffer>> {
  const fetched = new Map<string, Buffer>();
  const visit = async (url: string): Promise<void> => {
    if (fetched.has(url)) return;
    const response = await fetch(url);
    if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    const body = await bytesOf(response);
    fetched.set(url, body);
    if (!url.endsWith('.m3u8')) return;
    for (const uri of playlistUris(body.toString('utf8'))) await visit(new URL(uri, url).toString());
  };
  await visit(masterUrl);
  return fetched;
}

describe('streams from Plex (the fake Plex Media Server)', () => {
  let plex: FakePlex;
  let app: App;
  let base: string;
  const parties = new Parties(() => base);

  const movie = (id = MOVIE) => {
    const item = plex.catalog.items.get(id);
    if (item?.type !== 'movie') throw new Error(`the fake has no movie ${id}`);
    return item;
  };

  beforeAll(async () => {
    plex = await startFakePlex();
    // Chunks smaller than the clips, so a direct-play file is several chunks, as a film is.
    ({ app, url: base } = await startApp({
      PLEX_URL: plex.url,
      PLEX_TOKEN: plex.token,
      STREAM_CHUNK_KB: String(CHUNK_KB),
    }));
  });

  afterEach(() => {
    plex.faults.clear();
  });

  afterAll(async () => {
    await parties.leaveAll();
    await app?.close();
    await plex?.close();
  });

  it('passes direct-play ranges through with the upstream semantics and only the allowed headers', async () => {
    const [viewer] = await parties.open('dev:plex-direct', 1, MOVIE);
    const stream = await parties.offer(viewer as Member, 'dev:plex-direct', 'original');
    expect(stream.kind).toBe('file');
    const proxied = `${base}${stream.url}`;
    const part = plex.counters.requests('part').at(-1);
    expect(part).toBeUndefined(); // resolving does not touch the file itself

    const direct = (headers: Record<string, string>, method = 'GET') =>
      fetch(`${plex.url}${movie().part.key}`, { method, headers: { ...headers, 'X-Plex-Token': plex.token } });
    const cases: { headers: Record<string, string>; method?: string }[] = [
      { headers: {} },
      { headers: { range: 'bytes=0-65535' } },
      { headers: { range: 'bytes=1000-' } },
      { headers: { range: 'bytes=-500' } },
      { headers: { range: 'bytes=999999999-' } },
      { headers: {}, method: 'HEAD' },
      { headers: { range: 'bytes=0-99' }, method: 'HEAD' },
    ];
    // The server's own headers, on every response (security headers): not the upstream's.
    const own = new Set((await fetch(`${base}/healthz`)).headers.keys());
    for (const name of ['content-type', 'content-length', 'etag', 'last-modified']) own.delete(name);
    expect(own.has('content-security-policy')).toBe(true);
    for (const { headers, method } of cases) {
      const [ours, theirs] = await Promise.all([fetch(proxied, { method, headers }), direct(headers, method)]);
      const what = `${method ?? 'GET'} ${JSON.stringify(headers)}`;
      expect(ours.status, what).toBe(theirs.status);
      for (const name of ALLOWED) expect(ours.headers.get(name), `${what} ${name}`).toBe(theirs.headers.get(name));
      for (const [name] of ours.headers) {
        expect(ALLOWED.has(name) || TRANSPORT.has(name) || own.has(name), `${what} ${name}`).toBe(true);
      }
      expect((await bytesOf(ours)).equals(await bytesOf(theirs)), what).toBe(true);
    }

    const first = await fetch(proxied, { headers: { range: 'bytes=0-9' } });
    const etag = first.headers.get('etag') ?? '';
    await first.arrayBuffer();
    expect((await fetch(proxied, { headers: { range: 'bytes=0-9', 'if-range': etag } })).status).toBe(206);
    const changed = await fetch(proxied, { headers: { range: 'bytes=0-9', 'if-range': '"something-else"' } });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();
  });

  it('aborts the upstream request when the client goes away mid-body', async () => {
    const [viewer] = await parties.open('dev:plex-abort', 1, ABORT_MOVIE);
    const stream = await parties.offer(viewer as Member, 'dev:plex-abort', 'original');
    // A slow upstream keeps the body in flight long enough to walk away from it.
    plex.faults.slowBody('part', 64 * 1024);
    plex.counters.reset();

    const received = await new Promise<number>((resolve, reject) => {
      const request = http.get(`${base}${stream.url}`, (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          // Gone after the first bytes, like a player seeking elsewhere or a closed tab.
          request.destroy();
          resolve(bytes);
        });
      });
      request.on('error', (error) => {
        if (!request.destroyed) reject(error);
      });
    });
    expect(received).toBeGreaterThan(0);

    // The chunk read ahead for this viewer alone is cancelled upstream, and nothing after it is asked for.
    await waitFor(() => plex.counters.aborted('part') > 0, { what: 'the fake to see the upstream abort' });
    const record = plex.counters.requests('part').at(-1);
    expect(record?.aborted).toBe(true);
    expect(plex.counters.bytes('part')).toBeLessThan(movie(ABORT_MOVIE).clip.mp4Bytes);
  });

  it('shares direct play too: a party reading the whole file fetches each chunk from Plex once', async () => {
    const viewers = await parties.open('dev:plex-direct-party', 6, PARTY_MOVIE);
    const other = movie(PARTY_MOVIE);
    const size = other.clip.mp4Bytes;
    expect(size).toBeGreaterThan(3 * CHUNK_KB * 1024);
    const offers = await Promise.all(
      viewers.map((viewer) => parties.offer(viewer, 'dev:plex-direct-party', 'original')),
    );
    const whole = await bytesOf(
      await fetch(`${plex.url}${other.part.key}`, { headers: { 'X-Plex-Token': plex.token } }),
    );
    plex.counters.reset();

    // Players read a file from the start, then in ranges as they seek: both kinds, all at once.
    const reads = await Promise.all(
      offers.flatMap((stream) => [
        fetch(`${base}${stream.url}`).then(bytesOf),
        fetch(`${base}${stream.url}`, { headers: { range: `bytes=${size - 100_000}-` } }).then(bytesOf),
        fetch(`${base}${stream.url}`, { headers: { range: 'bytes=70000-150000' } }).then(bytesOf),
      ]),
    );
    for (let i = 0; i < reads.length; i += 3) {
      expect(reads[i]?.equals(whole)).toBe(true);
      expect(reads[i + 1]?.equals(whole.subarray(size - 100_000))).toBe(true);
      expect(reads[i + 2]?.equals(whole.subarray(70_000, 150_001))).toBe(true);
    }
    // Each byte of the file crossed from Plex once (the HEAD that learnt its size sends none).
    expect(plex.counters.bytes('part')).toBe(size);
    expect(plex.counters.calls('part')).toBe(Math.ceil(size / (CHUNK_KB * 1024)) + 1);
  });

  it("offers Plex's external subtitles as WebVTT through the proxy, fetched from Plex once", async () => {
    const [viewer] = await parties.open('dev:plex-subtitles', 1, MOVIE);
    const file = await parties.offer(viewer as Member, 'dev:plex-subtitles', 'original');
    const hls = await parties.offer(viewer as Member, 'dev:plex-subtitles', '720p');
    const subtitleStreamId = movie().part.subtitleStreamId;
    expect(subtitleStreamId).toBeDefined();
    for (const stream of [file, hls]) {
      expect(stream.subtitles).toEqual([
        {
          label: 'English (SRT External)',
          language: 'en',
          url: expect.stringMatching(/^\/api\/stream\/[^/]+\/subtitles-0\.vtt$/),
        },
      ]);
    }
    plex.counters.reset();
    const bodies = await Promise.all(
      [file, hls, file].map(async (stream) => {
        const response = await fetch(`${base}${stream.subtitles[0]?.url}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
        return response.text();
      }),
    );
    const vtt = bodies[0] ?? '';
    expect(vtt.startsWith('WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nSecond 0\n')).toBe(true);
    expect(vtt).not.toMatch(/\d,\d{3}/);
    expect(new Set(bodies).size).toBe(1);
    expect(plex.counters.calls('subtitleStream')).toBe(1);

    // Only the tracks the stream offers: another index is unknown.
    const missing = await fetch(`${base}${file.subtitles[0]?.url.replace('subtitles-0', 'subtitles-1')}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'stream_part_unknown' } });
  });

  it('shares one transcode among every member of a room: one session, each segment fetched once', async () => {
    const viewers = await parties.open('dev:plex-party', 5, MOVIE);
    plex.counters.reset();
    const offers = await Promise.all(viewers.map((viewer) => parties.offer(viewer, 'dev:plex-party', '720p')));
    for (const stream of offers) expect(stream.kind).toBe('hls');

    const played = await Promise.all(offers.map((stream) => playAll(`${base}${stream.url}`)));

    expect(plex.counters.transcodesStarted).toBe(1);
    expect(plex.counters.transcodesRestarted).toBe(0);
    expect(plex.counters.calls('transcodeStart')).toBe(1);
    expect(plex.counters.calls('decision')).toBe(1);
    const fetches = plex.counters.segmentFetches();
    expect(Object.keys(fetches).length).toBeGreaterThan(3);
    expect(plex.counters.maxSegmentFetches()).toBe(1);
    // Every member got the same bytes for the same parts.
    const [first, ...others] = played.map((files) => [...files.values()].map((b) => b.toString('base64')).sort());
    for (const other of others) expect(other).toEqual(first);
  });

  it('stops the transcode when the room changes item, and when it empties', async () => {
    const viewers = await parties.open('dev:plex-stop', 2, MOVIE);
    const [host, guest] = viewers as [Member, Member];
    const stream = await parties.offer(guest, 'dev:plex-stop', '480p');
    await playAll(`${base}${stream.url}`);
    const stoppedBefore = plex.counters.transcodesStopped;
    const activeKeys = () => plex.transcodes.active().map((s) => s.key);
    const started = activeKeys();
    expect(started.length).toBeGreaterThan(0);

    await loadPaused(host, OTHER_MOVIE);
    await waitFor(() => plex.counters.transcodesStopped === stoppedBefore + 1, { what: 'the stop on item change' });

    const next = await parties.offer(guest, 'dev:plex-stop', '480p');
    await playAll(`${base}${next.url}`);
    await waitFor(() => plex.transcodes.active().length > 0, { what: 'the new session' });

    await Promise.all(viewers.map(leave));
    await waitFor(() => plex.counters.transcodesStopped === stoppedBefore + 2, {
      what: 'the stop when the room empties',
    });
  });

  it("keeps a paused room's transcode alive, and forgets one Plex has ended", async () => {
    const [viewer] = await parties.open('dev:plex-paused', 1, MOVIE);
    const stream = await parties.offer(viewer as Member, 'dev:plex-paused', '1080p');
    await (await fetch(`${base}${stream.url}`)).text();
    const key = { roomId: 'dev:plex-paused', itemId: MOVIE, quality: '1080p' as const };
    const session = plex.transcodes.active().at(-1)?.key ?? '';
    expect(session).not.toBe('');

    // The room is paused: nobody fetches segments, the keep-alive tells Plex it is still wanted.
    const before = plex.counters.calls('transcodePing');
    await app.streams.sessions.keepAlive();
    expect(plex.counters.calls('transcodePing')).toBeGreaterThan(before);
    const ping = plex.counters.requests('transcodePing').at(-1);
    expect(ping?.query.session).toBe(session);
    expect(ping?.status).toBe(200);
    expect(app.streams.sessions.has(key)).toBe(true);

    // Plex ended it anyway: the session is forgotten, so the next ask starts a fresh one.
    plex.transcodes.kill(session);
    await app.streams.sessions.keepAlive();
    expect(app.streams.sessions.has(key)).toBe(false);
    const again = await parties.offer(viewer as Member, 'dev:plex-paused', '1080p');
    await (await fetch(`${base}${again.url}`)).text();
    expect(plex.transcodes.active().map((s) => s.key)).not.toContain(session);
    expect(plex.transcodes.active().length).toBeGreaterThan(0);
  });

  it('starts afresh when Plex ends an idle transcode', async () => {
    const [viewer] = await parties.open('dev:plex-killed', 1, MOVIE);
    const stream = await parties.offer(viewer as Member, 'dev:plex-killed', '720p');
    const master = `${base}${stream.url}`;
    const media = new URL(playlistUris(await (await fetch(master)).text())[0] ?? '', master).toString();
    const segment = new URL(playlistUris(await (await fetch(media)).text())[0] ?? '', media).toString();
    const startedBefore = plex.counters.transcodesStarted;
    for (const session of plex.transcodes.active()) plex.transcodes.kill(session.key);

    // A part Plex no longer has: the player is told to ask the room again.
    const gone = await fetch(segment);
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ error: { code: 'stream_restart' } });

    const again = await parties.offer(viewer as Member, 'dev:plex-killed', '720p');
    await playAll(`${base}${again.url}`);
    expect(plex.counters.transcodesStarted).toBe(startedBefore + 1);
  });
});

describe('closing the server', () => {
  it('stops the transcodes it started', async () => {
    const plex = await startFakePlex();
    const { app, url: base } = await startApp({ PLEX_URL: plex.url, PLEX_TOKEN: plex.token });
    try {
      const viewer = await join(base, 'dev:plex-close', 'Viewer');
      await loadPaused(viewer, MOVIE);
      const response = await fetch(`${base}/api/rooms/dev:plex-close/stream?quality=720p`, { headers: viewer.auth });
      const { url } = (await response.json()) as { url: string };
      await (await fetch(`${base}${url}`)).text();
      expect(plex.counters.transcodesStarted).toBe(1);
      await app.close();
      expect(plex.counters.transcodesStopped).toBe(1);
    } finally {
      await app.close();
      await plex.close();
    }
  });
});
