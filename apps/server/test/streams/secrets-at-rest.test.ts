import { type SQL, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { hasRedisServerBinary, PrivateRedis } from '../../../../tests/support/redis-server.ts';
import { join, leave, loadPaused, type Member } from './support/party.ts';
import { type App, startApp } from './support/stream-app.ts';

const ROOM = 'dev:at-rest';
const QUALITIES = ['original', '1080p', '720p', '480p'] as const;

/** Every key of a Redis and its value, whatever the type, as text to search. */
async function redisDump(redis: Redis): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'COUNT', 500);
    cursor = String(next);
    for (const key of keys) {
      const type = await redis.type(key);
      let value: string;
      if (type === 'string') value = ((await redis.getBuffer(key)) ?? Buffer.alloc(0)).toString('latin1');
      else if (type === 'hash') value = JSON.stringify(await redis.hgetall(key));
      else if (type === 'list') value = JSON.stringify(await redis.lrange(key, 0, -1));
      else if (type === 'set') value = JSON.stringify(await redis.smembers(key));
      else if (type === 'zset') value = JSON.stringify(await redis.zrange(key, 0, -1));
      else if (type === 'stream') value = JSON.stringify(await redis.xrange(key, '-', '+'));
      else value = `(${type})`;
      dump.set(key.toString('latin1'), value);
    }
  } while (cursor !== '0');
  return dump;
}

/**
 * Secrets at rest: after browsing, playing every quality and linking a server through plex.tv,
 * no value in Redis (a private redis-server, so every key is this app's) and no row of the database
 * holds the Plex token or a Plex address.
 */
describe.skipIf(!hasRedisServerBinary())('secrets at rest', () => {
  let plex: FakePlex;
  let redis: PrivateRedis;
  let client: Redis;
  let app: App;
  let base: string;
  let member: Member;

  beforeAll(async () => {
    plex = await startFakePlex();
    redis = await PrivateRedis.start();
    client = new Redis(redis.url);
    ({ app, url: base } = await startApp({
      PLEX_URL: plex.url,
      PLEX_TOKEN: plex.token,
      PLEX_TV_URL: plex.plexTvUrl,
      REDIS_URL: redis.url,
    }));
    member = await join(base, ROOM, 'Keeper');
  });

  afterAll(async () => {
    if (member) await leave(member);
    await app?.close();
    client?.disconnect();
    await redis?.down();
    await plex?.close();
  });

  const get = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(path, base), {
      ...init,
      headers: { ...member.auth, 'content-type': 'application/json', ...(init.headers as object) },
    });
    expect(response.status, `${path}: ${response.status}`).toBeLessThan(400);
    return response;
  };
  const json = async <T>(path: string, init?: RequestInit) => (await (await get(path, init)).json()) as T;
  const query = async (statement: SQL) =>
    ((await app.database.db.execute(statement)) as unknown as { rows: Record<string, unknown>[] }).rows;

  it('keeps the Plex token and Plex addresses out of Redis and the database', async () => {
    // Browse.
    const { sections } = await json<{ sections: { id: string }[] }>('/api/library/sections');
    for (const section of sections) {
      const page = await json<{ items: { id: string; thumb: string | null }[] }>(
        `/api/library/sections/${section.id}/items?limit=50`,
      );
      for (const item of page.items.slice(0, 3)) {
        await get(`/api/library/items/${item.id}`);
        await get(`/api/library/items/${item.id}/children`);
        if (item.thumb) await get(item.thumb);
      }
    }
    await get('/api/library/search?q=a');

    // Play every quality: the descriptor, the playlists and a piece of media each.
    await loadPaused(member, '101');
    for (const quality of QUALITIES) {
      const offer = await json<{ kind: string; url: string }>(`/api/rooms/${ROOM}/stream?quality=${quality}`);
      if (offer.kind === 'file') {
        await get(offer.url, { headers: { range: 'bytes=0-65535' } });
        continue;
      }
      let playlist = offer.url;
      for (let depth = 0; depth < 3; depth++) {
        const text = await (await get(playlist)).text();
        const entry = text.split('\n').find((line) => line.trim() && !line.startsWith('#'));
        if (!entry) break;
        playlist = new URL(entry.trim(), new URL(playlist, base)).pathname;
        if (!playlist.endsWith('.m3u8')) {
          await get(playlist);
          break;
        }
      }
    }

    // Link a server through plex.tv (its token and the account's go into the database and the cache).
    const pin = await json<{ id: string }>('/api/plex/pins', { method: 'POST', body: '{}' });
    plex.approvePin(pin.id);
    expect((await json<{ status: string }>(`/api/plex/pins/${pin.id}`)).status).toBe('linked');
    await json(`/api/plex/servers?pinId=${pin.id}`);
    await get('/api/plex/servers', {
      method: 'POST',
      body: JSON.stringify({ pinId: pin.id, machineIdentifier: plex.machineIdentifier }),
    });
    await get('/api/library/sections');

    const tokens = [plex.token, plex.userToken];
    const addresses = [new URL(plex.url).host, ...Object.values(plex.connections).map((c) => new URL(c.uri).host)];

    const cached = await redisDump(client);
    const keys = [...cached.keys()];
    // It really went through the cache: descriptors, the pending PIN, library pages, segments.
    for (const prefix of ['stream:', 'plexpin:', 'lib:', 'meta:']) {
      expect(
        keys.some((key) => key.includes(prefix)),
        `a ${prefix} key among ${keys.length}`,
      ).toBe(true);
    }
    const inRedis = [...cached].flatMap(([key, value]) =>
      [...tokens, ...addresses, 'X-Plex-Token']
        .filter((secret) => key.includes(secret) || value.includes(secret))
        .map((secret) => `${key}: ${secret}`),
    );
    expect(inRedis).toEqual([]);

    const tables = await query(sql`select table_name from information_schema.tables where table_schema = 'public'`);
    const rows: string[] = [];
    for (const { table_name } of tables) {
      rows.push(JSON.stringify(await query(sql`select * from ${sql.identifier(String(table_name))}`)));
    }
    const database = rows.join('\n');
    expect(database).toContain(plex.machineIdentifier);
    for (const token of tokens) expect(database).not.toContain(token);
    // Nor any Plex address: the linked server's is sealed in plex_servers.base_url.
    expect(rows.some((table) => table.includes('"base_url"'))).toBe(true);
    for (const address of addresses) expect(database).not.toContain(address);
  }, 120_000);
});
