import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../../tests/support/services.ts';
import { waitFor } from '../../../../tests/support/wait.ts';
import { fakeLookup } from './support/harness.ts';
import { type App, buildTestApp, testDatabase } from './support/test-app.ts';
import { WsClient } from './support/ws-client.ts';

const services = inject('services');
if (!services.redis) console.warn(`Redis at ${TEST_REDIS_URL} unreachable: the multi-instance room suite is skipped`);

/** Two complete servers on their own ports, each with its own Redis connections, sharing rooms through Redis. */
describe.skipIf(!services.redis)('rooms across two instances on one Redis', () => {
  let a: App;
  let b: App;
  let database: Awaited<ReturnType<typeof testDatabase>>;
  const urls: string[] = [];
  const clients: WsClient[] = [];

  beforeAll(async () => {
    database = await testDatabase(services.postgres);
    // One secret for both, as behind a load balancer: a session from either works on the other.
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      SECRET_KEY: randomBytes(32).toString('base64'),
    };
    a = await buildTestApp(env);
    b = await buildTestApp(env);
    for (const app of [a, b]) {
      app.rooms.setItemLookup(fakeLookup);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      if (typeof address !== 'object' || !address) throw new Error('not listening');
      urls.push(`ws://127.0.0.1:${address.port}/ws`);
    }
  });
  afterAll(async () => {
    for (const client of clients) if (client.socket.readyState === client.socket.OPEN) await client.close();
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  async function member(name: string, roomId: string, on: 0 | 1) {
    const { token } = (await a.inject({ method: 'POST', url: '/api/auth/dev', payload: { name } })).json();
    const client = await WsClient.connect(urls[on] ?? '');
    clients.push(client);
    await client.hello(token, roomId);
    return client;
  }

  const room = () => `dev:multi-${randomUUID().slice(0, 8)}`;

  it('delivers commands sent to one instance to the clients of the other, in order, with one seq', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId, 0);
    const bob = await member('Bob', roomId, 1);
    await ada.until((s) => s.members.length === 2);
    await bob.command({ op: 'queue.add', itemId: 'm1' });
    await ada.until((s) => s.playback.itemId === 'm1');

    // A burst without waiting for acks: each seek must arrive on the other instance in the order sent.
    const positions = Array.from({ length: 25 }, (_, i) => (i + 1) * 1000);
    const replies = positions.map((positionMs) => ada.command({ op: 'seek', positionMs }));
    for (const reply of await Promise.all(replies)) expect(reply.type).toBe('ack');
    await bob.until((s) => s.playback.positionMs === 25_000);

    const seeks = (client: WsClient) =>
      client.received.flatMap((m) =>
        m.type === 'state' && m.cause.type === 'command' && m.cause.op === 'seek'
          ? [[m.seq, m.changes.playback?.positionMs]]
          : [],
      );
    expect(seeks(bob).map(([, p]) => p)).toEqual(positions);
    expect(seeks(bob)).toEqual(seeks(ada));
    const seqs = seeks(bob).map(([s]) => s as number);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    expect(bob.snapshot).toEqual(ada.snapshot);
    expect(ada.problems).toEqual([]);
    expect(bob.problems).toEqual([]);
    // Both instances read the same room.
    expect(await b.rooms.snapshot(roomId)).toEqual(await a.rooms.snapshot(roomId));
  });

  it('interleaves commands from both instances into one stream', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId, 0);
    const bob = await member('Bob', roomId, 1);
    await bob.until((s) => s.members.length === 2);
    await Promise.all([
      ...['m1', 'm2', 'm3'].map((itemId) => ada.command({ op: 'queue.add', itemId })),
      ...['m3', 'm2', 'm1'].map((itemId) => bob.command({ op: 'queue.add', itemId })),
    ]);
    await waitFor(() => ada.snapshot?.queue.length === 6 && bob.snapshot?.queue.length === 6, { what: 'six entries' });
    await waitFor(() => ada.snapshot?.seq === bob.snapshot?.seq, { what: 'the same seq' });
    expect(bob.snapshot).toEqual(ada.snapshot);
    expect(new Set(ada.snapshot?.queue.map((e) => e.entryId)).size).toBe(6);
    expect([...ada.problems, ...bob.problems]).toEqual([]);
  });

  it('advances the queue once at the end of an item, though both instances time it', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId, 0);
    const bob = await member('Bob', roomId, 1);
    await ada.command({ op: 'queue.add', itemId: 'm2' });
    await ada.command({ op: 'queue.add', itemId: 'm3' });
    await ada.command({ op: 'queue.add', itemId: 'm1' });
    for (const client of [ada, bob]) {
      await client.until((s) => s.playback.status === 'waiting');
      client.send({ type: 'report', state: 'ready', positionMs: 0, rev: client.snapshot?.playback.rev });
    }
    await ada.until((s) => s.playback.status === 'playing');
    // Jump to a moment before the end; both instances arm a timer for it.
    await ada.command({ op: 'seek', positionMs: 29_700 });
    await bob.until((s) => s.playback.itemId === 'm3');
    await waitFor(() => ada.snapshot?.seq === bob.snapshot?.seq, { what: 'the same seq' });
    expect(bob.snapshot?.queue.map((e) => e.itemId)).toEqual(['m3', 'm1']);
    const ended = bob.received.filter(
      (m) => m.type === 'state' && m.cause.type === 'system' && m.cause.event === 'item-ended',
    );
    expect(ended).toHaveLength(1);
  });

  it('recovers a subscriber that lost its Redis connection: its clients get a snapshot and nothing is lost', async () => {
    const roomId = room();
    const ada = await member('Ada', roomId, 0);
    const bob = await member('Bob', roomId, 1);
    await ada.until((s) => s.members.length === 2);
    // Cut instance b's pub/sub connection; commands made meanwhile cannot reach it through the bus.
    const subscriber = (b.eventBus as unknown as { subscriber: Redis }).subscriber;
    const admin = (a.redis as Redis).duplicate();
    await admin.client('KILL', 'ADDR', `127.0.0.1:${subscriber.stream.localPort}`);
    await admin.quit();
    for (const itemId of ['m1', 'm2']) await ada.command({ op: 'queue.add', itemId });
    await waitFor(() => bob.snapshot?.queue.length === 2 && bob.snapshot.seq === ada.snapshot?.seq, {
      what: 'b to catch up',
      timeoutMs: 10_000,
    });
    expect(bob.snapshot).toEqual(ada.snapshot);
    expect(bob.received.some((m) => m.type === 'snapshot' && m.reason === 'resync')).toBe(true);
    expect([...ada.problems, ...bob.problems]).toEqual([]);
  });
});
