import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from './index.ts';
import { bytesOf, plexFetch, plexJson } from './test-client.ts';

let fake: FakePlex;
beforeAll(async () => {
  fake = await startFakePlex();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.counters.reset();
  for (const s of fake.transcodes.active()) fake.transcodes.kill(s.key);
  fake.counters.reset();
});

const start = (params: Record<string, string>) =>
  plexFetch(
    fake,
    `/video/:/transcode/universal/start.m3u8?${new URLSearchParams({ path: '/library/metadata/101', protocol: 'hls', ...params })}`,
  );

/** Resolves a playlist URI against the URL the playlist came from, as an HLS player does. */
const uris = (playlist: string) => playlist.split('\n').filter((l) => l && !l.startsWith('#'));
const resolve = (uri: string, base: string) => new URL(uri, base).toString().slice(fake.url.length);

/** MPEG-TS: 188-byte packets, each starting with the sync byte 0x47. */
function isMpegTs(bytes: Buffer): boolean {
  if (bytes.length === 0 || bytes.length % 188 !== 0) return false;
  for (let i = 0; i < bytes.length; i += 188) if (bytes[i] !== 0x47) return false;
  return true;
}

describe('fake Plex transcoder', () => {
  it('decides direct play when allowed, and transcode when direct play is off or the source is too big', async () => {
    type Decision = {
      MediaContainer: {
        generalDecisionCode: number;
        Metadata: { Media: { Part: { decision: string; key: string }[] }[] }[];
      };
    };
    const decide = (q: string) =>
      plexJson<Decision>(fake, `/video/:/transcode/universal/decision?path=/library/metadata/101&protocol=hls&${q}`);
    const direct = await decide('directPlay=1&directStream=1');
    expect(direct.MediaContainer.generalDecisionCode).toBe(1000);
    expect(direct.MediaContainer.Metadata[0]!.Media[0]!.Part[0]).toMatchObject({
      decision: 'directplay',
      key: fake.catalog.movies[0]!.part.key,
    });
    const off = await decide('directPlay=0&directStream=1&session=s1');
    expect(off.MediaContainer.generalDecisionCode).toBe(1001);
    expect(off.MediaContainer.Metadata[0]!.Media[0]!.Part[0]!.decision).toBe('transcode');
    const tooBig = await decide('directPlay=1&maxVideoBitrate=64');
    expect(tooBig.MediaContainer.Metadata[0]!.Media[0]!.Part[0]!.decision).toBe('transcode');

    const anonymous = await fetch(`${fake.url}/video/:/transcode/universal/decision?path=/library/metadata/101`, {
      headers: { Accept: 'application/json', 'X-Plex-Token': fake.token },
    });
    expect(anonymous.status).toBe(400); // no X-Plex-Client-Identifier
    expect((await plexFetch(fake, '/video/:/transcode/universal/decision?path=/library/metadata/999')).status).toBe(
      404,
    );
  });

  it('follows master → session index.m3u8 → every segment, serving the committed MPEG-TS bytes', async () => {
    const masterRes = await start({ session: 'chain-1', maxVideoBitrate: '4000', videoResolution: '1280x720' });
    expect(masterRes.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const master = await masterRes.text();
    expect(master).toMatch(/^#EXTM3U\n#EXT-X-STREAM-INF:.*RESOLUTION=640x360/);
    const [variant] = uris(master);
    expect(variant).toBe('session/chain-1/base/index.m3u8');

    const indexPath = resolve(variant!, `${fake.url}/video/:/transcode/universal/start.m3u8`);
    const index = await (await plexFetch(fake, indexPath)).text();
    expect(index).toContain('#EXT-X-ENDLIST');
    const segments = uris(index);
    const rendition = fake.catalog.movies[0]!.clip.renditions.find((r) => r.name === '360p')!;
    expect(segments).toHaveLength(rendition.segments.length);

    for (const [i, segment] of segments.entries()) {
      const res = await plexFetch(fake, resolve(segment, `${fake.url}${indexPath}`));
      expect(res.headers.get('content-type')).toBe('video/mp2t');
      const bytes = await bytesOf(res);
      expect(isMpegTs(bytes)).toBe(true);
      expect(bytes.equals(readFileSync(rendition.segments[i]!.file))).toBe(true);
    }
    expect(fake.counters.transcodesStarted).toBe(1);
    expect(fake.counters.activeTranscodes).toBe(1);
    expect(fake.counters.maxSegmentFetches('chain-1')).toBe(1);
    expect(Object.keys(fake.counters.segmentFetches('chain-1'))).toHaveLength(segments.length);
  });

  it('picks the rendition from maxVideoBitrate and videoResolution', async () => {
    const resolution = async (params: Record<string, string>) =>
      (await (await start(params)).text()).match(/RESOLUTION=(\d+x\d+)/)?.[1];
    expect(await resolution({ session: 'q1' })).toBe('640x360');
    expect(await resolution({ session: 'q2', videoResolution: '426x240' })).toBe('426x240');
    expect(await resolution({ session: 'q3', maxVideoBitrate: '150' })).toBe('426x240');
    expect(await resolution({ session: 'q4', maxVideoBitrate: '1', videoResolution: '10x10' })).toBe('426x240');
  });

  it('counts per-segment fetches, restarts, and stops by DELETE and by universal/stop', async () => {
    await start({ session: 'a' });
    await start({ session: 'a' });
    await start({ session: 'b' });
    expect(fake.counters.transcodesStarted).toBe(2);
    expect(fake.counters.transcodesRestarted).toBe(1);
    expect(fake.counters.activeTranscodes).toBe(2);

    for (let i = 0; i < 3; i++)
      await bytesOf(await plexFetch(fake, '/video/:/transcode/universal/session/a/base/00002.ts'));
    expect(fake.counters.segmentFetches()).toEqual({ 'a/2': 3 });

    const listed = await plexJson<{ MediaContainer: { TranscodeSession: { key: string }[] } }>(
      fake,
      '/transcode/sessions',
    );
    expect(listed.MediaContainer.TranscodeSession.map((s) => s.key).sort()).toEqual([
      '/transcode/sessions/a',
      '/transcode/sessions/b',
    ]);
    const status = await plexJson<{ MediaContainer: { size: number } }>(fake, '/status/sessions');
    expect(status.MediaContainer.size).toBe(2);

    expect((await plexFetch(fake, '/transcode/sessions/a', { method: 'DELETE' })).status).toBe(200);
    expect((await plexFetch(fake, '/video/:/transcode/universal/stop?session=b')).status).toBe(200);
    expect(fake.counters.transcodesStopped).toBe(2);
    expect(fake.counters.activeTranscodes).toBe(0);
    expect((await plexFetch(fake, '/video/:/transcode/universal/session/a/base/00000.ts')).status).toBe(404);
    expect((await plexFetch(fake, '/video/:/transcode/universal/session/a/base/index.m3u8')).status).toBe(404);
    expect((await plexFetch(fake, '/transcode/sessions/a', { method: 'DELETE' })).status).toBe(404);
  });

  it('lets a test kill a session the way Plex drops idle transcodes', async () => {
    await start({ session: 'victim' });
    expect((await plexFetch(fake, '/video/:/transcode/universal/ping?session=victim')).status).toBe(200);
    expect(fake.transcodes.kill('victim')).toBe(true);
    expect(fake.counters.transcodesKilled).toBe(1);
    expect(fake.counters.transcodesStopped).toBe(0);
    expect((await plexFetch(fake, '/video/:/transcode/universal/ping?session=victim')).status).toBe(404);
  });

  it('adds a WebVTT subtitle rendition on request (subtitles=sidecar)', async () => {
    const master = await (await start({ session: 'subs', subtitles: 'sidecar' })).text();
    const uri = /TYPE=SUBTITLES.*URI="([^"]+)"/.exec(master)?.[1];
    expect(uri).toBe('session/subs/subtitles/index.m3u8');
    expect(master).toContain('SUBTITLES="subs"');
    const playlistPath = resolve(uri!, `${fake.url}/video/:/transcode/universal/start.m3u8`);
    const playlist = await (await plexFetch(fake, playlistPath)).text();
    const [first] = uris(playlist);
    const vtt = await (await plexFetch(fake, resolve(first!, `${fake.url}${playlistPath}`))).text();
    expect(vtt).toMatch(/^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:\d+,LOCAL:00:00:00.000\n/);
    expect(vtt).toContain('00:00:01.000 --> 00:00:02.000\nSecond 1');

    const plain = await (await start({ session: 'nosubs' })).text();
    expect(plain).not.toContain('SUBTITLES');
  });
});
