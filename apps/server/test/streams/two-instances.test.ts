import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { TEST_REDIS_URL } from '../../../../tests/support/services.ts';
import { waitFor } from '../../../../tests/support/wait.ts';
import { join, leave, loadPaused, type Member } from './support/party.ts';
import { type App, startApp } from './support/stream-app.ts';

const services = inject('services');

/** URIs of a playlist: the non-comment lines and every URI="…" attribute. */
function playlistUris(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    if (line.startsWith('#')) return [...line.matchAll(/URI="([^"]*)"/g)].map((m) => m[1] ?? '');
    return line.trim() ? [line.trim()] : [];
  });
}

async function playAll(url: string, seen = new Set<string>()): Promise<void> {
  if (seen.has(url)) return;
  seen.add(url);
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  const body = Buffer.from(await response.arrayBuffer());
  if (!url.endsWith('.m3u8')) return;
  for (const uri of playlistUris(body.toString('utf8'))) await playAll(new URL(uri, url).toString(), seen);
}

/**
 * Two server instances behind a load balancer share one Redis: a room whose members are spread
 * over both still makes one Plex transcode, and each segment is fetched from Plex once.
 */
describe.skipIf(!services.redis)('a room spread over two instances (Redis)', () => {
  let plex: FakePlex;
  const apps: { app: App; url: string }[] = [];
  const members: Member[] = [];

  beforeAll(async () => {
    plex = await startFakePlex();
    // Instances of one deployment share SECRET_KEY: either one checks what the other signed.
    const secret = randomBytes(32).toString('base64');
    for (let i = 0; i < 2; i++) {
      apps.push(
        await startApp({ PLEX_URL: plex.url, PLEX_TOKEN: plex.token, REDIS_URL: TEST_REDIS_URL, SECRET_KEY: secret }),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(members.map(leave));
    for (const { app } of apps) await app.close();
    await plex?.close();
  });

  it('shares one transcode session and fetches each segment once', async () => {
    const room = `dev:two-${randomUUID().slice(0, 8)}`;
    const [a, b] = apps as [{ app: App; url: string }, { app: App; url: string }];
    // Members 0, 2, 4 on instance A; 1, 3, 5 on instance B.
    for (let i = 0; i < 6; i++) members.push(await join((i % 2 ? b : a).url, room, `Viewer ${i + 1}`));
    await loadPaused(members[0] as Member, '101');
    plex.counters.reset();

    const offers: string[] = [];
    for (const [i, member] of members.entries()) {
      const base = (i % 2 ? b : a).url;
      const response = await fetch(`${base}/api/rooms/${room}/stream?quality=720p`, { headers: member.auth });
      expect(response.status).toBe(200);
      offers.push(`${base}${((await response.json()) as { url: string }).url}`);
    }
    await Promise.all(offers.map((url) => playAll(url)));

    expect(plex.counters.calls('decision')).toBe(1);
    expect(plex.counters.transcodesStarted).toBe(1);
    expect(plex.counters.transcodesRestarted).toBe(0);
    expect(plex.counters.maxSegmentFetches()).toBe(1);

    // Any instance can end it: the room emptying is seen by both, and Plex stops the one session.
    await Promise.all(members.splice(0).map(leave));
    await waitFor(() => plex.counters.transcodesStopped === 1, { what: 'the transcode to stop' });
    expect(plex.transcodes.active()).toEqual([]);
  });
});
