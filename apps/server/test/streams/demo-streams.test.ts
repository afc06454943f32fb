import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../tests/support/wait.ts';
import { StreamIds } from '../../src/streams/stream-ids.ts';
import { join, leave, loadPaused, type Member, signIn } from './support/party.ts';
import { type App, bytesOf, startApp } from './support/stream-app.ts';

const DEMO = path.resolve(import.meta.dirname, '../../media/demo');
const ROOM = 'dev:stream-demo';
const CLIP = readFileSync(path.join(DEMO, 'sunrise-sync/clip.mp4'));

/** URIs of a playlist: the non-comment lines and every URI="…" attribute. */
function playlistUris(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    if (line.startsWith('#')) return [...line.matchAll(/URI="([^"]*)"/g)].map((m) => m[1] ?? '');
    return line.trim() ? [line.trim()] : [];
  });
}

describe('streams of the demo library (no Plex configured)', () => {
  let app: App;
  let base: string;
  let alice: Member;
  let bob: Member;

  const offer = async (member: Pick<Member, 'auth'>, quality: string, room = ROOM) => {
    const response = await fetch(`${base}/api/rooms/${room}/stream?quality=${quality}`, { headers: member.auth });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & { url: string } };
  };

  beforeAll(async () => {
    ({ app, url: base } = await startApp());
    alice = await join(base, ROOM, 'Alice');
    bob = await join(base, ROOM, 'Bob');
    await loadPaused(alice, 'demo-sunrise-sync');
  });

  afterAll(async () => {
    await Promise.all([alice, bob].filter(Boolean).map(leave));
    await app?.close();
  });

  it('offers a member the original as a direct-play file behind an opaque URL', async () => {
    const { status, body } = await offer(alice, 'original');
    expect(status).toBe(200);
    expect(body).toMatchObject({ kind: 'file', mimeType: 'video/mp4', quality: 'original' });
    expect(body.url).toMatch(/^\/api\/stream\/[A-Za-z0-9_-]+\/media\.mp4$/);
    expect(JSON.stringify(body)).not.toContain('sunrise-sync/clip');
  });

  it("offers the clip's English subtitles as WebVTT under the same stream id, for the file and for HLS", async () => {
    for (const quality of ['original', '480p']) {
      const { body } = await offer(alice, quality);
      const [id] = body.url.split('/').slice(3, 4);
      expect(body.subtitles).toEqual([{ label: 'English', language: 'en', url: `/api/stream/${id}/subtitles-0.vtt` }]);
      const response = await fetch(`${base}/api/stream/${id}/subtitles-0.vtt`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
      const text = await response.text();
      expect(text.startsWith('WEBVTT\n')).toBe(true);
      expect(text).toContain('00:00:05.000 --> 00:00:09.000\nSunrise Sync Check\nSecond 5 of 30');
      expect(text).not.toContain('sunrise-sync/');
    }
  });

  it('serves the file with byte ranges: 200, 206, 416, HEAD and If-Range', async () => {
    const { body } = await offer(bob, 'original');
    const url = `${base}${body.url}`;
    const size = CLIP.length;

    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-length')).toBe(String(size));
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect((await bytesOf(whole)).equals(CLIP)).toBe(true);
    const etag = whole.headers.get('etag');
    expect(etag).toMatch(/^"/);

    const part = await fetch(url, { headers: { range: 'bytes=100-1123' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1123/${size}`);
    expect((await bytesOf(part)).equals(CLIP.subarray(100, 1124))).toBe(true);

    const tail = await fetch(url, { headers: { range: 'bytes=-10' } });
    expect(tail.status).toBe(206);
    expect((await bytesOf(tail)).equals(CLIP.subarray(size - 10))).toBe(true);

    const past = await fetch(url, { headers: { range: `bytes=${size}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${size}`);

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(size));
    expect((await bytesOf(head)).length).toBe(0);

    const fresh = await fetch(url, { headers: { range: 'bytes=0-9', 'if-range': etag ?? '' } });
    expect(fresh.status).toBe(206);
    const stale = await fetch(url, { headers: { range: 'bytes=0-9', 'if-range': '"not-the-same"' } });
    expect(stale.status).toBe(200);
    expect((await bytesOf(stale)).length).toBe(size);
  });

  it('answers every kind of range request with exactly the file’s bytes and the same headers', async () => {
    const { body } = await offer(bob, 'original');
    const url = `${base}${body.url}`;
    const size = CLIP.length;
    const info = statSync(path.join(DEMO, 'sunrise-sync/clip.mp4'));
    const validators = {
      'accept-ranges': 'bytes',
      etag: `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
      'last-modified': info.mtime.toUTCString(),
    };
    const whole = { ...validators, 'content-type': 'video/mp4', 'content-length': String(size) };
    const slice = (start: number, end: number) => ({
      ...validators,
      'content-type': 'video/mp4',
      'content-length': String(end - start + 1),
      'content-range': `bytes ${start}-${end}/${size}`,
    });
    const NAMES = [
      'accept-ranges',
      'cache-control',
      'content-encoding',
      'content-length',
      'content-range',
      'content-type',
      'etag',
      'last-modified',
      'transfer-encoding',
    ];
    const cases: Array<{
      method?: string;
      headers?: Record<string, string>;
      status: number;
      expect: object;
      bytes: Buffer;
    }> = [
      { status: 200, expect: whole, bytes: CLIP },
      { headers: { range: 'bytes=100-1123' }, status: 206, expect: slice(100, 1123), bytes: CLIP.subarray(100, 1124) },
      { headers: { range: 'bytes=0-0' }, status: 206, expect: slice(0, 0), bytes: CLIP.subarray(0, 1) },
      {
        headers: { range: 'bytes=-10' },
        status: 206,
        expect: slice(size - 10, size - 1),
        bytes: CLIP.subarray(size - 10),
      },
      { headers: { range: 'bytes=5000-' }, status: 206, expect: slice(5000, size - 1), bytes: CLIP.subarray(5000) },
      {
        headers: { range: `bytes=${size - 1}-${size + 1000}` },
        status: 206,
        expect: slice(size - 1, size - 1),
        bytes: CLIP.subarray(size - 1),
      },
      { headers: { range: 'bytes=0-1,5-9' }, status: 200, expect: whole, bytes: CLIP },
      { headers: { range: 'items=0-9' }, status: 200, expect: whole, bytes: CLIP },
      {
        headers: { range: `bytes=${size}-` },
        status: 416,
        expect: { ...validators, 'content-range': `bytes */${size}`, 'content-length': '0' },
        bytes: Buffer.alloc(0),
      },
      {
        headers: { range: 'bytes=10-19', 'if-range': validators.etag },
        status: 206,
        expect: slice(10, 19),
        bytes: CLIP.subarray(10, 20),
      },
      { headers: { range: 'bytes=10-19', 'if-range': '"stale"' }, status: 200, expect: whole, bytes: CLIP },
      { method: 'HEAD', status: 200, expect: whole, bytes: Buffer.alloc(0) },
      { method: 'HEAD', headers: { range: 'bytes=10-19' }, status: 206, expect: slice(10, 19), bytes: Buffer.alloc(0) },
      {
        headers: { 'if-none-match': validators.etag },
        status: 304,
        expect: { etag: validators.etag, 'last-modified': validators['last-modified'] },
        bytes: Buffer.alloc(0),
      },
    ];
    for (const { method = 'GET', headers = {}, status, expect: expected, bytes } of cases) {
      const what = `${method} ${JSON.stringify(headers)}`;
      const response = await fetch(url, { method, headers });
      expect(response.status, what).toBe(status);
      const seen = Object.fromEntries(
        NAMES.flatMap((name) => {
          const value = response.headers.get(name);
          return value === null ? [] : [[name, value]];
        }),
      );
      expect(seen, what).toEqual(expected);
      expect((await bytesOf(response)).equals(bytes), what).toBe(true);
    }
  });

  it('serves HLS with every playlist entry coming back through the proxy under the same stream id', async () => {
    const { status, body } = await offer(alice, '720p');
    expect(status).toBe(200);
    expect(body).toMatchObject({ kind: 'hls', mimeType: 'application/vnd.apple.mpegurl' });
    const master = new URL(body.url, base);
    const prefix = master.pathname.slice(0, master.pathname.lastIndexOf('/') + 1);

    const seen = new Set<string>();
    const queue = [master.toString()];
    let segments = 0;
    while (queue.length > 0) {
      const next = queue.shift() ?? '';
      if (seen.has(next)) continue;
      seen.add(next);
      const response = await fetch(next);
      expect(response.status, next).toBe(200);
      if (!next.endsWith('.m3u8')) {
        segments += 1;
        expect(response.headers.get('content-type')).toBe('video/mp2t');
        expect((await bytesOf(response)).length).toBeGreaterThan(0);
        continue;
      }
      expect(response.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
      const text = await response.text();
      expect(text).not.toMatch(/360p|240p|seg-\d+|index\.m3u8/);
      for (const uri of playlistUris(text)) {
        const resolved = new URL(uri, next);
        expect(resolved.origin).toBe(master.origin);
        expect(resolved.pathname.startsWith(prefix)).toBe(true);
        queue.push(resolved.toString());
      }
    }
    // The sunrise clip: 30 s in 2 s segments, in two renditions.
    expect(segments).toBe(30);
  });

  it('counts the bytes it serves in /metrics, and documents its routes in /docs', async () => {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const kind of ['file', 'playlist', 'segment']) {
      const line = new RegExp(`^dpp_proxied_bytes_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(metrics);
      expect(Number(line?.[1]), kind).toBeGreaterThan(0);
    }
    const docs = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(docs.paths).toHaveProperty(['/api/rooms/{roomId}/stream']);
    expect(docs.paths).toHaveProperty(['/api/stream/{*}']);
  });

  it('refuses the stream to someone who is not in the room', async () => {
    const outsider = await signIn(base, 'Mallory');
    const refused = await offer({ auth: { authorization: `Bearer ${outsider.token}` } }, 'original');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'not_a_member' } });

    // A stream URL leaked to a signed-in outsider is refused when they present their session.
    const { body } = await offer(alice, 'original');
    const leaked = await fetch(`${base}${body.url}`, { headers: { authorization: `Bearer ${outsider.token}` } });
    expect(leaked.status).toBe(403);
    expect(await leaked.json()).toMatchObject({ error: { code: 'stream_not_member' } });
  });

  it('stops serving a stream URL soon after the viewer it was given to leaves the room', async () => {
    const carol = await join(base, ROOM, 'Carol');
    const { body } = await offer(carol, 'original');
    const first = await fetch(`${base}${body.url}`, { headers: { range: 'bytes=0-99' } });
    expect(first.status).toBe(206);
    await first.arrayBuffer();
    await leave(carol);
    // Membership is remembered for MEMBERSHIP_MEMO_MS (15 s) at most: wait for the refusal.
    const refused = await waitFor(
      async () => {
        const response = await fetch(`${base}${body.url}`, { headers: { range: 'bytes=0-99' } });
        if (response.status === 403) return response;
        await response.arrayBuffer();
        return false;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the stream refused after its viewer left' },
    );
    expect(await refused.json()).toMatchObject({ error: { code: 'stream_viewer_left' } });
    // Alice, still in the room, keeps hers.
    const hers = await offer(alice, 'original');
    expect((await fetch(`${base}${hers.body.url}`, { method: 'HEAD' })).status).toBe(200);
  });

  it('answers If-Modified-Since like nginx: 304 when not newer, and If-None-Match decides when both are sent', async () => {
    const { body } = await offer(alice, 'original');
    const url = `${base}${body.url}`;
    const head = await fetch(url, { method: 'HEAD' });
    const lastModified = head.headers.get('last-modified') ?? '';
    expect(Date.parse(lastModified)).toBeGreaterThan(0);
    const unchanged = await fetch(url, { headers: { 'if-modified-since': lastModified } });
    expect(unchanged.status).toBe(304);
    expect((await unchanged.arrayBuffer()).byteLength).toBe(0);
    const earlier = new Date(Date.parse(lastModified) - 86_400_000).toUTCString();
    const changed = await fetch(url, { headers: { 'if-modified-since': earlier } });
    expect(changed.status).toBe(200);
    expect(Buffer.from(await changed.arrayBuffer()).equals(CLIP)).toBe(true);
    const otherTag = await fetch(url, { headers: { 'if-modified-since': lastModified, 'if-none-match': '"other"' } });
    expect(otherTag.status).toBe(200);
    await otherTag.arrayBuffer();
    const nonsense = await fetch(url, { headers: { 'if-modified-since': 'yesterday-ish' } });
    expect(nonsense.status).toBe(200);
    await nonsense.arrayBuffer();
  });

  it('refuses forged and expired stream ids, and names the stream never gave out', async () => {
    const { body } = await offer(alice, '480p');
    const [, , , id = '', name = ''] = body.url.split('/');

    // Sealed under another key: what someone who guessed the format but not SECRET_KEY could make.
    const forgedId = new StreamIds(Buffer.alloc(32, 7)).sign({
      roomId: 'dev:elsewhere',
      itemId: 'demo-sunrise-sync',
      quality: '480p',
      viewer: alice.userId,
    }).id;
    const forged = await fetch(`${base}/api/stream/${forgedId}/${name}`);
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: { code: 'stream_invalid' } });

    const altered = Buffer.from(id, 'base64url');
    altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 1;
    const garbage = await fetch(`${base}/api/stream/${altered.toString('base64url')}/${name}`);
    expect(garbage.status).toBe(403);

    const expired = new StreamIds(app.config.secretKey).sign(
      { roomId: ROOM, itemId: 'demo-sunrise-sync', quality: '480p', viewer: alice.userId },
      -1,
    ).id;
    const late = await fetch(`${base}/api/stream/${expired}/index.m3u8`);
    expect(late.status).toBe(410);
    expect(await late.json()).toMatchObject({ error: { code: 'stream_expired' } });

    const invented = await fetch(`${base}/api/stream/${id}/${'A'.repeat(40)}.ts`);
    expect(invented.status).toBe(404);
    expect(await invented.json()).toMatchObject({ error: { code: 'stream_part_unknown' } });
    const traversal = await fetch(`${base}/api/stream/${id}/..%2F..%2Fmanifest.json`);
    expect(traversal.status).toBe(404);
  });

  it('ends the old stream when the room moves to another item', async () => {
    const { body: before } = await offer(alice, 'original');
    expect((await fetch(`${base}${before.url}`, { method: 'HEAD' })).status).toBe(200);
    await loadPaused(alice, 'demo-deep-blue-timecode');
    // The room's 'item' event reaches the streams through the event bus.
    await waitFor(async () => (await fetch(`${base}${before.url}`, { method: 'HEAD' })).status === 410, {
      what: 'the old stream to end',
    });
    const { body: after } = await offer(bob, 'original');
    expect(after.url).not.toBe(before.url);
    expect((await fetch(`${base}${after.url}`, { method: 'HEAD' })).status).toBe(200);
  });
});
