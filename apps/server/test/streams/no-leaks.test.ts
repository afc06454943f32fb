import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { join, leave, loadPaused, type Member } from './support/party.ts';
import { type App, startApp } from './support/stream-app.ts';

const ROOM = 'dev:no-leaks';
const QUALITIES = ['original', '1080p', '720p', '480p'];
const MAX_FETCHES = 1500;

interface Seen {
  what: string;
  text: string;
}

/** Every URI in a playlist: the non-comment lines and every URI="…" attribute. */
function playlistUris(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    if (line.startsWith('#')) return [...line.matchAll(/URI="([^"]*)"/g)].map((m) => m[1] ?? '');
    return line.trim() ? [line.trim()] : [];
  });
}

/** Strings in a JSON value that are API paths (art, stream URLs) a client would go on to fetch. */
function apiPaths(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string' && value.startsWith('/api/')) out.push(value);
  else if (Array.isArray(value)) for (const v of value) apiPaths(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) apiPaths(v, out);
  return out;
}

/**
 * What a browser in the party can see: every response of the library, room and stream routes
 * (status, every header, the whole body: JSON, playlists, media bytes), error answers included, and
 * the room's WebSocket frames. None of it may carry the Plex token or any Plex address.
 */
describe('what reaches the client side', () => {
  let plex: FakePlex;
  let app: App;
  let base: string;
  let member: Member;
  const seen: Seen[] = [];
  const fetched = new Set<string>();

  const record = async (what: string, response: Response) => {
    const body = Buffer.from(await response.arrayBuffer()).toString('latin1');
    const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
    seen.push({ what, text: `${response.status}\n${headers}\n\n${body}` });
    return body;
  };

  const get = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(path, base), {
      ...init,
      headers: { ...member.auth, ...(init.headers as Record<string, string> | undefined) },
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: await record(`${init.method ?? 'GET'} ${path}`, response),
    };
  };

  /** Fetches a path and everything it leads to: API paths in JSON, entries of playlists. */
  const crawl = async (start: string) => {
    const queue = [start];
    while (queue.length > 0 && fetched.size < MAX_FETCHES) {
      const path = queue.shift() ?? '';
      if (fetched.has(path)) continue;
      fetched.add(path);
      const { type, body } = await get(path, path.includes('/media.') ? { headers: { range: 'bytes=0-65535' } } : {});
      if (path.includes('/media.')) await get(path, { method: 'HEAD' });
      if (type.startsWith('application/json')) queue.push(...apiPaths(JSON.parse(body)));
      if (type.startsWith('application/vnd.apple.mpegurl')) {
        for (const uri of playlistUris(body)) {
          const next = new URL(uri, new URL(path, base));
          queue.push(`${next.pathname}${next.search}`);
        }
      }
    }
  };

  beforeAll(async () => {
    plex = await startFakePlex({ hlsSubtitles: true });
    ({ app, url: base } = await startApp({ PLEX_URL: plex.url, PLEX_TOKEN: plex.token }));
    member = await join(base, ROOM, 'Watcher');
    await loadPaused(member, '101');
  });

  afterAll(async () => {
    if (member) await leave(member);
    await app?.close();
    await plex?.close();
  });

  it('finds no Plex token and no Plex address in any response, header or frame', async () => {
    await crawl('/api/me');
    await crawl('/api/library/sections');
    const { body } = await get('/api/library/sections');
    for (const section of (JSON.parse(body) as { sections: { id: string }[] }).sections) {
      let cursor: string | null = null;
      do {
        const page = await get(
          `/api/library/sections/${section.id}/items?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        const parsed = JSON.parse(page.body) as { items: { id: string }[]; nextCursor: string | null };
        for (const item of parsed.items.slice(0, 4)) {
          await crawl(`/api/library/items/${item.id}`);
          await crawl(`/api/library/items/${item.id}/children`);
        }
        for (const path of apiPaths(parsed)) await crawl(path);
        cursor = parsed.nextCursor;
      } while (cursor);
    }
    await crawl('/api/library/search?q=sync');
    await crawl(`/api/rooms/${ROOM}`);
    for (const quality of QUALITIES) await crawl(`/api/rooms/${ROOM}/stream?quality=${quality}`);

    // Error answers too: Plex failing, an unknown item, a bad stream id, a refused upstream.
    plex.faults.error('metadata', 500, 1);
    await get('/api/library/items/103');
    await get('/api/library/items/999999');
    await get('/api/stream/not-a-stream-id/index.m3u8');
    const file = [...fetched].find((p) => p.includes('/media.'));
    expect(file).toBeDefined();
    plex.faults.error('part', 401, 1);
    await get(file ?? '');
    plex.faults.reset('part', 1);
    await get(file ?? '');

    // The room's socket frames.
    for (const frame of member.frames) seen.push({ what: `ws ${frame.type}`, text: JSON.stringify(frame) });

    const secrets = new Set([plex.token, plex.userToken, plex.url, plex.plexTvUrl]);
    for (const connection of Object.values(plex.connections)) {
      const uri = new URL(connection.uri);
      secrets.add(uri.host);
    }
    secrets.add(new URL(plex.url).host);
    const lower = [...secrets].map((s) => s.toLowerCase());

    expect(seen.length).toBeGreaterThan(100);
    // The crawl really went through playlists, segments, art and the file.
    expect([...fetched].filter((p) => p.endsWith('.ts')).length).toBeGreaterThan(10);
    expect([...fetched].some((p) => p.startsWith('/api/art/'))).toBe(true);
    expect([...fetched].some((p) => p.endsWith('.vtt'))).toBe(true);
    const leaks = seen.flatMap(({ what, text }) => {
      const haystack = text.toLowerCase();
      const found = lower.filter((secret) => haystack.includes(secret));
      if (haystack.includes('x-plex-token')) found.push('x-plex-token');
      return found.length > 0 ? [`${what}: ${found.join(', ')}`] : [];
    });
    expect(leaks).toEqual([]);
  });
});
