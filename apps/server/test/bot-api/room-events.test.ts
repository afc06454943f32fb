/**
 * `GET /api/bot/rooms/:roomId/events`: the room as it changes, as Server-Sent Events, for the bot's
 * now-playing messages. On one instance, and across two instances sharing Redis (the change is
 * made on one, the stream is read from the other).
 */
import { randomBytes } from 'node:crypto';
import type { RoomResponse } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../../tests/support/services.ts';
import { type App, buildTestApp, signIn } from '../library/support/test-app.ts';

const services = inject('services');
const BOT_TOKEN = randomBytes(24).toString('base64url');
const GUILD = '100000000000000002';
const ALICE = '300000000000000001';
let nextChannel = BigInt(`2${Date.now()}`.slice(0, 18));
const newRoom = () => `${GUILD}:${(nextChannel++).toString()}`;
const bot = (user = ALICE) => ({ authorization: `Bearer ${BOT_TOKEN}`, 'x-acting-user': user });

type FeedEvent = { event: string; data: unknown };

/** Reads a live event stream; `next()` resolves with each event in turn, `closed` when it ends. */
async function openFeed(baseUrl: string, roomId: string, path = `/api/bot/rooms/${roomId}/events`) {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}${path}`, {
    headers: bot(),
    signal: controller.signal,
  });
  const events: FeedEvent[] = [];
  const waiting: ((event: FeedEvent | undefined) => void)[] = [];
  let ended = false;
  const push = (event: FeedEvent | undefined) => {
    const waiter = waiting.shift();
    if (waiter) waiter(event);
    else if (event) events.push(event);
  };
  const closed = (async () => {
    if (!response.body) return;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const lines = block.split('\n').filter((line) => !line.startsWith(':'));
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
          const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
          if (event && data) push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted by the test
    }
    ended = true;
    while (waiting.length > 0) push(undefined);
  })();
  return {
    response,
    closed,
    next(): Promise<FeedEvent | undefined> {
      const event = events.shift();
      if (event || ended) return Promise.resolve(event);
      return new Promise((resolve) => waiting.push(resolve));
    },
    /** The next event, which must be `room`. */
    async room(): Promise<RoomResponse> {
      const event = await this.next();
      if (event?.event !== 'room') throw new Error(`expected a room event, got ${JSON.stringify(event)}`);
      return event.data as RoomResponse;
    },
    close: () => controller.abort(),
  };
}

async function listen(app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('not listening');
  return `http://127.0.0.1:${address.port}`;
}

function commandOn(app: App, roomId: string, body: object) {
  return app.inject({ method: 'POST', url: `/api/bot/rooms/${roomId}/commands`, headers: bot(), payload: body });
}

async function demoItem(app: App): Promise<string> {
  const search = await app.inject({ url: `/api/bot/search?guildId=${GUILD}&q=e`, headers: bot() });
  return search.json<{ items: { id: string; playable: boolean }[] }>().items.find((i) => i.playable)!.id;
}

describe('the room event feed', () => {
  let app: App;
  let baseUrl: string;
  let itemId: string;

  beforeAll(async () => {
    app = await buildTestApp({ BOT_API_TOKEN: BOT_TOKEN });
    baseUrl = await listen(app);
    itemId = await demoItem(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is for the bot only, and answers 404 no_room where there is no room', async () => {
    const roomId = newRoom();
    expect((await app.inject({ url: `/api/bot/rooms/${roomId}/events` })).statusCode).toBe(401);
    const user = await signIn(app);
    const asUser = await app.inject({ url: `/api/bot/rooms/${roomId}/events`, headers: user });
    expect(asUser.statusCode).toBe(403);
    const missing = await app.inject({ url: `/api/bot/rooms/${roomId}/events`, headers: bot() });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'no_room' } });
  });

  it('sends the room, then the room after each change, then `ended` and closes', async () => {
    const roomId = newRoom();
    const created = await app.inject({
      method: 'POST',
      url: `/api/bot/rooms/${roomId}/play`,
      headers: bot(),
      payload: { itemId },
    });
    expect(created.json()).toMatchObject({ outcome: 'started' });
    const feed = await openFeed(baseUrl, roomId);
    expect(feed.response.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const { seq } = (await feed.room()).snapshot;

    expect((await commandOn(app, roomId, { op: 'pause' })).statusCode).toBe(200);
    expect((await feed.room()).snapshot).toMatchObject({ seq: seq + 1, playback: { status: 'paused' } });

    expect((await commandOn(app, roomId, { op: 'seek', positionMs: 4000 })).statusCode).toBe(200);
    expect((await feed.room()).snapshot).toMatchObject({ seq: seq + 2, playback: { positionMs: 4000 } });

    const end = await app.inject({
      method: 'POST',
      url: `/api/bot/rooms/${roomId}/end`,
      headers: bot(),
      payload: { reason: 'stop' },
    });
    expect(end.json()).toEqual({ ended: true });
    expect(await feed.next()).toEqual({ event: 'ended', data: { roomId } });
    await feed.closed;
    expect(await feed.next()).toBeUndefined();
  });
});

describe("the guild's feed of new rooms", () => {
  it('says `ready`, then announces each new room of the guild, and no other guild’s', async () => {
    const app = await buildTestApp({ BOT_API_TOKEN: BOT_TOKEN });
    try {
      const baseUrl = await listen(app);
      const itemId = await demoItem(app);
      const feed = await openFeed(baseUrl, '', `/api/bot/guilds/${GUILD}/events`);
      expect(await feed.next()).toEqual({ event: 'ready', data: {} });
      const otherGuild = `100000000000000099:${(nextChannel++).toString()}`;
      expect((await commandOn(app, otherGuild, { op: 'load', itemId })).statusCode).toBe(200);
      const roomId = newRoom();
      expect((await commandOn(app, roomId, { op: 'load', itemId })).statusCode).toBe(200);
      expect(await feed.next()).toEqual({ event: 'created', data: { roomId } });
      feed.close();
      await feed.closed;
    } finally {
      await app.close();
    }
  });
});

describe.skipIf(!services.redis)('the room event feed across instances (Redis)', () => {
  const apps: App[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    const secret = randomBytes(32).toString('base64');
    for (let i = 0; i < 2; i++) {
      const app = await buildTestApp({ BOT_API_TOKEN: BOT_TOKEN, REDIS_URL: TEST_REDIS_URL, SECRET_KEY: secret });
      apps.push(app);
      urls.push(await listen(app));
    }
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it('carries a change made on one instance to a stream read from the other, and the end too', async () => {
    const b = apps[1]!;
    const roomId = newRoom();
    const created = await b.inject({
      method: 'POST',
      url: `/api/bot/rooms/${roomId}/play`,
      headers: bot(),
      payload: { itemId: await demoItem(b) },
    });
    expect(created.statusCode).toBe(200);

    const feed = await openFeed(urls[0]!, roomId);
    const { seq } = (await feed.room()).snapshot;

    expect((await commandOn(b, roomId, { op: 'pause' })).statusCode).toBe(200);
    expect((await feed.room()).snapshot).toMatchObject({ seq: seq + 1, playback: { status: 'paused' } });

    await b.inject({
      method: 'POST',
      url: `/api/bot/rooms/${roomId}/end`,
      headers: bot(),
      payload: { reason: 'stop' },
    });
    expect(await feed.next()).toEqual({ event: 'ended', data: { roomId } });
    await feed.closed;
  });
});

describe('the room event feed when the server shuts down', () => {
  it('ends open streams, so the shutdown is not held up and the bot reconnects elsewhere', async () => {
    const app = await buildTestApp({ BOT_API_TOKEN: BOT_TOKEN });
    const baseUrl = await listen(app);
    const roomId = newRoom();
    await app.inject({
      method: 'POST',
      url: `/api/bot/rooms/${roomId}/play`,
      headers: bot(),
      payload: { itemId: await demoItem(app) },
    });
    const feed = await openFeed(baseUrl, roomId);
    await feed.room();
    await app.close();
    await feed.closed;
    expect(await feed.next()).toBeUndefined();
  });
});
