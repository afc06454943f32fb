import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { waitFor } from '../../../../tests/support/wait.ts';
import { command, leave, type Member, Parties } from './support/party.ts';
import { type App, startApp } from './support/stream-app.ts';

const MOVIE = '101';
const NEXT_MOVIE = '102';

/** What Plex sees of the party: timelines, the transcoder's `location`, and fallbacks. */
describe('Plex sees the party (timelines, decision, fallback)', () => {
  let plex: FakePlex;
  let app: App;
  let base: string;
  const parties = new Parties(() => base);

  /** Every viewer's player says it is ready at the room's latest rev; resolves once the room plays. */
  const playWhenReady = async (viewers: Member[]) => {
    const latest = () => {
      const frames = viewers[0]!.frames as { changes?: { playback?: { rev: number; status: string } } }[];
      return frames.findLast((frame) => frame.changes?.playback)?.changes?.playback;
    };
    const waiting = await waitFor(() => (latest()?.status === 'waiting' ? latest() : undefined), {
      what: 'the room to wait for its players',
    });
    for (const viewer of viewers) {
      viewer.socket.send(JSON.stringify({ type: 'report', state: 'ready', positionMs: 12_000, rev: waiting.rev }));
    }
    await waitFor(() => latest()?.status === 'playing', { what: 'the room to play' });
  };

  const reportsOf = (session: string) => plex.timelines.reports().filter((report) => report.session === session);

  beforeAll(async () => {
    plex = await startFakePlex();
    ({ app, url: base } = await startApp({ PLEX_URL: plex.url, PLEX_TOKEN: plex.token }));
  });

  afterAll(async () => {
    await parties.leaveAll();
    await app?.close();
    await plex?.close();
  });

  it('reports one timeline stream per room stream, not per viewer, with the room’s state and position', async () => {
    const room = 'dev:timeline-party';
    const viewers = await parties.open(room, 3, MOVIE);
    const offers = await Promise.all(viewers.map((viewer) => parties.offer(viewer, room, '720p')));
    await Promise.all(offers.map(async (stream) => (await fetch(`${base}${stream.url}`)).text()));
    const [transcode] = plex.transcodes.active();
    expect(plex.transcodes.active()).toHaveLength(1);
    const session = transcode!.key;

    await command(viewers[0]!, { op: 'seek', positionMs: 12_000 });
    await app.streams.timelines.report();
    await command(viewers[1]!, { op: 'play' });
    // The room waits for its members' players before it plays: Plex hears `buffering`.
    await app.streams.timelines.report();
    await playWhenReady(viewers);
    await app.streams.timelines.report();

    const reports = reportsOf(session);
    expect(reports.map((report) => report.state)).toEqual(['paused', 'buffering', 'playing']);
    expect(plex.timelines.reports().filter((report) => report.ratingKey === MOVIE)).toHaveLength(3);
    const [paused, , playing] = reports;
    expect(paused).toMatchObject({
      ratingKey: MOVIE,
      timeMs: 12_000,
      durationMs: plex.catalog.movies.find((m) => m.ratingKey === MOVIE)?.clip.durationMs,
    });
    expect(playing!.timeMs).toBeGreaterThanOrEqual(12_000);
    const start = plex.counters.requests('transcodeStart').find((r) => r.query.session === session);
    expect(paused!.clientIdentifier).toBe(start?.headers['x-plex-client-identifier']);

    // The dashboard lists one playing session for the room, paired with its transcode.
    const status = await fetch(`${plex.url}/status/sessions`, {
      headers: { Accept: 'application/json', 'X-Plex-Token': plex.token },
    });
    const { MediaContainer } = (await status.json()) as {
      MediaContainer: { Metadata: { sessionKey: string; Player: { state: string }; TranscodeSession?: object }[] };
    };
    const listed = MediaContainer.Metadata.filter((entry) => entry.sessionKey === session);
    expect(listed).toHaveLength(1);
    expect(listed[0]?.Player.state).toBe('playing');
    expect(listed[0]?.TranscodeSession).toBeDefined();
  });

  it('tells Plex the session stopped when the room changes item, and again when the room ends', async () => {
    const room = 'dev:timeline-stops';
    const [viewer] = await parties.open(room, 1, MOVIE);
    const direct = await parties.offer(viewer!, room, 'original');
    expect(direct.kind).toBe('file');
    await app.streams.timelines.report();
    const first = plex.timelines.reports().at(-1)!;
    expect(first).toMatchObject({ ratingKey: MOVIE, state: 'paused' });

    await command(viewer!, { op: 'load', itemId: NEXT_MOVIE });
    await waitFor(() => reportsOf(first.session).some((report) => report.state === 'stopped'), {
      what: 'a stopped timeline for the first item',
    });
    const stopRecord = plex.counters.requests('timeline').find((r) => r.query.state === 'stopped');
    expect(stopRecord?.query.continuing).toBe('1');

    await command(viewer!, { op: 'pause' });
    await parties.offer(viewer!, room, 'original');
    await app.streams.timelines.report();
    const second = plex.timelines.reports().at(-1)!;
    expect(second).toMatchObject({ ratingKey: NEXT_MOVIE, state: 'paused' });
    expect(second.session).not.toBe(first.session);
    expect(plex.timelines.live().map((report) => report.session)).toContain(second.session);

    await leave(viewer!);
    await waitFor(() => reportsOf(second.session).some((report) => report.state === 'stopped'), {
      what: 'a stopped timeline when the room emptied',
    });
    expect(plex.timelines.live().map((report) => report.session)).not.toContain(second.session);
  });

  it('asks the transcoder as a LAN client when Plex sits on a private address', async () => {
    const room = 'dev:timeline-lan';
    const [viewer] = await parties.open(room, 1, MOVIE);
    const stream = await parties.offer(viewer!, room, '480p');
    await (await fetch(`${base}${stream.url}`)).text();
    const decision = plex.counters.requests('decision').at(-1);
    const start = plex.counters.requests('transcodeStart').at(-1);
    expect(decision?.query.location).toBe('lan');
    expect(start?.query.location).toBe('lan');
    // The decision came first, for the same session.
    expect(decision!.seq).toBeLessThan(start!.seq);
    expect(start?.query.session).toBe(decision?.query.session);
  });
});

describe('a transcode that fails to start falls back, as Plex’s spec describes', () => {
  let plex: FakePlex;
  let app: App;
  let base: string;
  const parties = new Parties(() => base);

  beforeAll(async () => {
    plex = await startFakePlex({ fallbackNeeded: true });
    ({ app, url: base } = await startApp({ PLEX_URL: plex.url, PLEX_TOKEN: plex.token }));
  });

  afterAll(async () => {
    await parties.leaveAll();
    await app?.close();
    await plex?.close();
  });

  it('asks for a fallback once and plays the software transcode', async () => {
    const [viewer] = await parties.open('dev:fallback', 1, MOVIE);
    const stream = await parties.offer(viewer!, 'dev:fallback', '720p');
    const master = await fetch(`${base}${stream.url}`);
    expect(master.status).toBe(200);
    expect(await master.text()).toContain('#EXTM3U');

    expect(plex.counters.calls('transcodeFallback')).toBe(1);
    const fallback = plex.counters.requests('transcodeFallback')[0];
    expect(fallback?.method).toBe('POST');
    expect(plex.transcodes.fellBack()).toEqual([fallback?.query.transcodeSessionId]);
    expect(plex.transcodes.active().map((s) => s.key)).toEqual([fallback?.query.transcodeSessionId]);
    expect(plex.counters.requests('transcodeStart').map((r) => r.status)).toEqual([500, 200]);
  });
});
