import { randomBytes, randomUUID } from 'node:crypto';
import { CLOSE_CODES } from '@dpp/shared';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../../../tests/support/wait.ts';
import type { RoomRecord } from '../../src/rooms/room-record.ts';
import { fakeLookup } from './support/harness.ts';
import { type App, buildTestApp, testDatabase } from './support/test-app.ts';
import { WsClient } from './support/ws-client.ts';

const services = inject('services');
const BOT_TOKEN = randomBytes(24).toString('base64url');
const PUBLIC_URL = 'http://activity.example.test';

describe('GET /ws', () => {
  let app: App;
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let url: string;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    database = await testDatabase(services.postgres);
    app = await buildTestApp({ DATABASE_URL: database.url, BOT_API_TOKEN: BOT_TOKEN, PUBLIC_URL });
    app.rooms.setItemLookup(fakeLookup);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (typeof address !== 'object' || !address) throw new Error('not listening');
    url = `ws://127.0.0.1:${address.port}/ws`;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) {
      expect(client.problems).toEqual([]);
      if (client.socket.readyState === client.socket.OPEN) await client.close();
    }
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const room = () => `dev:ws-${randomUUID().slice(0, 8)}`;

  async function session(name: string) {
    const response = await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name } });
    return response.json<{ token: string; user: { id: string } }>();
  }

  async function connect(options: { origin?: string } = {}) {
    const client = await WsClient.connect(url, options);
    clients.push(client);
    return client;
  }

  async function member(name: string, roomId: string) {
    const { token, user } = await session(name);
    const client = await connect({ origin: PUBLIC_URL });
    const welcome = await client.hello(token, roomId);
    return { client, token, userId: user.id, welcome };
  }

  it('answers a plain GET with 426', async () => {
    const response = await app.inject('/ws');
    expect(response.statusCode).toBe(426);
    expect(response.json().error.code).toBe('upgrade_required');
  });

  it('refuses a foreign origin with a reason the page can show, and accepts its own origin and non-browsers', async () => {
    // A browser sees only the close of a refused socket: the close carries the reason, and says not to retry.
    const refused = await WsClient.connect(url, { origin: 'https://evil.example' });
    const closed = await refused.closed;
    expect(closed.code).toBe(CLOSE_CODES.forbidden.code);
    expect(closed.reason).toBe(
      `This page (https://evil.example) is not PUBLIC_URL (${PUBLIC_URL}): open that address or set PUBLIC_URL.`,
    );
    // A plain HTTP request with that origin gets the 403 it always did.
    const plain = await app.inject({ url: '/ws', headers: { origin: 'https://evil.example' } });
    expect(plain.statusCode).toBe(403);
    await expect(connect({ origin: PUBLIC_URL })).resolves.toBeDefined();
    await expect(connect()).resolves.toBeDefined();
  });

  it('joins with a dev session in hello and gets the room with a seq', async () => {
    const roomId = room();
    const { welcome, userId } = await member('Ada', roomId);
    expect(welcome).toMatchObject({
      protocolVersion: 1,
      you: { userId, name: 'Ada' },
      snapshot: { roomId, seq: 1, members: [{ userId, name: 'Ada', role: 'host' }] },
    });
    expect(Math.abs(welcome.serverTime - Date.now())).toBeLessThan(60_000);
  });

  it('closes with 4001 on a bad token and with 4004 on another protocol version', async () => {
    const forged = await connect();
    forged.send({ type: 'hello', protocolVersion: 1, token: 'v1.bogus.sig', roomId: room() });
    expect((await forged.next('error')).code).toBe('unauthorized');
    expect((await forged.closed).code).toBe(CLOSE_CODES.unauthorized.code);

    const { token } = await session('Old');
    const old = await connect();
    old.send({ type: 'hello', protocolVersion: 2, token, roomId: room() });
    expect((await old.next('error')).code).toBe('unsupported_version');
    expect((await old.closed).code).toBe(CLOSE_CODES.unsupportedVersion.code);
  });

  it('broadcasts a command to every member with the next seq, and acks it', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId);
    const bob = await member('Bob', roomId);
    await ada.client.until((s) => s.members.length === 2);
    const reply = await ada.client.command({ op: 'queue.add', itemId: 'm1' });
    expect(reply.type).toBe('ack');
    const state = await bob.client.until((s) => s.playback.itemId === 'm1');
    expect(state.seq).toBe(3);
    expect(bob.client.snapshot).toEqual(ada.client.snapshot);
  });

  it('applies a command sent again under the same id once, and acks both (a client retry)', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId);
    const bob = await member('Bob', roomId);
    const replyTo = (client: WsClient, id: string) =>
      client.frame((m) => (m.type === 'ack' || m.type === 'error') && m.id === id, `the reply to ${id}`);

    const first = replyTo(ada.client, 'retry-1');
    ada.client.send({ type: 'command', id: 'retry-1', op: 'queue.add', itemId: 'm1' });
    expect(await first).toMatchObject({ type: 'ack' });
    const again = replyTo(ada.client, 'retry-1');
    ada.client.send({ type: 'command', id: 'retry-1', op: 'queue.add', itemId: 'm1' });
    expect(await again).toMatchObject({ type: 'ack' });
    // Another member's command with the same id is their own.
    const bobs = replyTo(bob.client, 'retry-1');
    bob.client.send({ type: 'command', id: 'retry-1', op: 'queue.add', itemId: 'm1' });
    expect(await bobs).toMatchObject({ type: 'ack' });

    const snapshot = await app.rooms.snapshot(roomId);
    expect(snapshot?.queue.map((e) => e.itemId)).toEqual(['m1', 'm1']);
  });

  it('answers an invalid frame with a typed error and leaves the room unchanged', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId);
    const before = await app.rooms.snapshot(roomId);
    ada.client.send('{"type":"command","id":"x","op":"seek","positionMs":"soon"}');
    const error = await ada.client.next('error');
    expect(error).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('positionMs') });
    expect(await app.rooms.snapshot(roomId)).toEqual(before);
  });

  it('closes a socket that sends more than 64 KiB in one frame', async () => {
    const ada = await member('Ada', room());
    ada.client.send({ type: 'ping', id: 1, t0: 0, pad: 'x'.repeat(65 * 1024) });
    expect((await ada.client.closed).code).toBe(1009);
  });

  it('answers pings with the server clock, and measures the round trip with the heartbeat', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId);
    const t0 = performance.now();
    ada.client.send({ type: 'ping', id: 1, t0 });
    const pong = await ada.client.next('pong');
    expect(pong).toMatchObject({ id: 1, t0 });
    expect(pong.t2).toBeGreaterThanOrEqual(pong.t1);
    expect(ada.client.pings).toBeGreaterThanOrEqual(1);
    const store = app.roomStore;
    const rtt = await waitFor(async () => {
      const found = await store.get(roomId);
      return (found?.value as RoomRecord | undefined)?.members[0]?.rttMs ?? undefined;
    });
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it('resumes with lastSeq after a drop: a fresh snapshot and no leave broadcast', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId);
    const bob = await member('Bob', roomId);
    const lastSeq = bob.client.snapshot?.seq ?? 0;
    bob.client.socket.terminate();
    await ada.client.until((s) => s.members.some((m) => m.name === 'Bob' && m.state === 'away'));
    await ada.client.command({ op: 'queue.add', itemId: 'm2' });

    const again = await connect();
    const welcome = await again.hello(bob.token, roomId, { lastSeq });
    expect(welcome.resumed).toBe(true);
    expect(welcome.snapshot.playback.itemId).toBe('m2');
    await ada.client.until((s) => s.members.some((m) => m.name === 'Bob' && m.state === 'buffering'));
    expect(
      ada.client.received.some((m) => m.type === 'state' && m.cause.type === 'member' && m.cause.event === 'left'),
    ).toBe(false);
  });

  it('serves the snapshot over HTTP to members and the bot, not to others', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId);
    const stranger = await session('Eve');
    const get = (authorization: string, extra: Record<string, string> = {}) =>
      app.inject({ url: `/api/rooms/${roomId}`, headers: { authorization, ...extra } });

    const mine = await get(`Bearer ${ada.token}`);
    expect(mine.statusCode).toBe(200);
    expect(mine.json().snapshot).toEqual(await app.rooms.snapshot(roomId));
    expect((await get(`Bearer ${stranger.token}`)).statusCode).toBe(403);
    const bot = await get(`Bearer ${BOT_TOKEN}`, { 'x-acting-user': '81384788765712384' });
    expect(bot.statusCode).toBe(200);
    const none = await app.inject({
      url: '/api/rooms/dev:nobody-here',
      headers: { authorization: `Bearer ${BOT_TOKEN}`, 'x-acting-user': '81384788765712384' },
    });
    expect(none.statusCode).toBe(404);
    expect((await app.inject({ url: `/api/rooms/${roomId}` })).statusCode).toBe(401);
    expect((await get(`Bearer ${ada.token}`, {})).statusCode).toBe(200);
    expect(
      (await app.inject({ url: '/api/rooms/lobby', headers: { authorization: `Bearer ${ada.token}` } })).statusCode,
    ).toBe(400);
  });

  it('exports sockets, rooms, messages and broadcast latency', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId);
    await ada.client.command({ op: 'queue.add', itemId: 'm1' });
    await ada.client.until((s) => s.playback.itemId === 'm1');
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/^dpp_ws_sockets [1-9]\d*$/m);
    expect(metrics).toMatch(/^dpp_rooms [1-9]\d*$/m);
    expect(metrics).toMatch(/^dpp_ws_messages_total\{direction="in",type="hello"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^dpp_ws_messages_total\{direction="out",type="state"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^dpp_broadcast_latency_seconds_count [1-9]\d*$/m);
  });
});

describe('queue entries from the library', () => {
  it('come from the demo library when no Plex server is configured', async () => {
    const database = await testDatabase(services.postgres);
    const app = await buildTestApp({ DATABASE_URL: database.url });
    try {
      const { token } = (await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name: 'Ada' } })).json();
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      if (typeof address !== 'object' || !address) throw new Error('not listening');
      const client = await WsClient.connect(`ws://127.0.0.1:${address.port}/ws`);
      await client.hello(token, 'dev:demo');
      expect(await client.command({ op: 'queue.add', itemId: 'demo-sunrise-sync' })).toMatchObject({ type: 'ack' });
      const snapshot = await client.until((s) => s.queue.length === 1);
      expect(snapshot.queue[0]).toMatchObject({
        itemId: 'demo-sunrise-sync',
        title: 'Sunrise Sync Check',
        durationMs: 30_000,
        thumb: expect.stringMatching(/^\/api\/art\//),
      });
      expect(await client.command({ op: 'load', itemId: 'no-such-clip' })).toMatchObject({
        type: 'error',
        code: 'unknown_item',
      });
      await client.close();
    } finally {
      await app.close();
      await database.drop();
    }
  });
});

describe('graceful shutdown', () => {
  it('closes every room socket with 1012 and keeps the members as away', async () => {
    const database = await testDatabase(services.postgres);
    const app = await buildTestApp({ DATABASE_URL: database.url });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (typeof address !== 'object' || !address) throw new Error('not listening');
    const { token } = (await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name: 'Ada' } })).json();
    const client = await WsClient.connect(`ws://127.0.0.1:${address.port}/ws`);
    await client.hello(token, 'dev:shutdown');
    await app.close();
    expect((await client.closed).code).toBe(1012);
    // The in-process store outlives the app: what it holds is what the shutdown wrote.
    const record = (await app.roomStore.get('dev:shutdown'))?.value as RoomRecord | undefined;
    expect(record?.members.map((m) => m.state)).toEqual(['away']);
    await database.drop();
  });
});
