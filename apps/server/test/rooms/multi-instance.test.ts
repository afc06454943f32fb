import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../../tests/support/redis-server.ts';
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

/** The same, as two real server processes (what a deployment behind a load balancer runs). */
describe.skipIf(!services.redis)('rooms across two server processes', () => {
  const children: ChildProcess[] = [];
  let database: Awaited<ReturnType<typeof testDatabase>>;

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
    await database?.drop();
  });

  async function start(env: Record<string, string>) {
    const port = await freePort();
    const child = spawn(
      path.resolve(import.meta.dirname, '../../../../node_modules/.bin/tsx'),
      [path.resolve(import.meta.dirname, '../../src/server.ts')],
      {
        env: {
          PATH: process.env.PATH,
          PORT: String(port),
          LOG_LEVEL: 'warn',
          DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-')),
          ...env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: `the server on ${port} to be ready`,
    });
    return { port, child, exited };
  }

  it('share a room through Redis, in order with one seq, and close their sockets with 1012 on SIGTERM', {
    timeout: 120_000,
  }, async () => {
    database = await testDatabase(services.postgres);
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      SECRET_KEY: randomBytes(32).toString('base64'),
      DATABASE_URL: database.url,
    };
    const [one, two] = [await start(env), await start(env)];
    const signIn = async (port: number, name: string) => {
      const response = await fetch(`http://127.0.0.1:${port}/api/auth/dev`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      return ((await response.json()) as { token: string }).token;
    };
    const roomId = `dev:procs-${randomUUID().slice(0, 8)}`;
    const ada = await WsClient.connect(`ws://127.0.0.1:${one.port}/ws`);
    const bob = await WsClient.connect(`ws://127.0.0.1:${two.port}/ws`);
    await ada.hello(await signIn(one.port, 'Ada'), roomId);
    // A session signed by one process is good on the other.
    await bob.hello(await signIn(one.port, 'Bob'), roomId);
    await ada.until((s) => s.members.length === 2);

    // The demo library is the same on both; commands from both sides interleave into one stream.
    expect(await bob.command({ op: 'queue.add', itemId: 'demo-sunrise-sync' })).toMatchObject({ type: 'ack' });
    expect(await ada.command({ op: 'queue.add', itemId: 'demo-deep-blue-timecode' })).toMatchObject({ type: 'ack' });
    const positions = [1000, 2000, 3000, 4000, 5000];
    await Promise.all(positions.map((positionMs) => bob.command({ op: 'seek', positionMs })));
    await ada.until((s) => s.playback.positionMs === 5000 && s.queue.length === 2);
    await waitFor(() => ada.snapshot?.seq === bob.snapshot?.seq, { what: 'the same seq' });
    expect(ada.snapshot).toEqual(bob.snapshot);
    const seeks = ada.received.flatMap((m) =>
      m.type === 'state' && m.cause.type === 'command' && m.cause.op === 'seek' ? [m.changes.playback?.positionMs] : [],
    );
    expect(seeks).toEqual(positions);
    expect([...ada.problems, ...bob.problems]).toEqual([]);

    two.child.kill('SIGTERM');
    expect((await bob.closed).code).toBe(1012);
    expect(await two.exited).toBe(0);
    // Bob is away, not gone: the room on the other process still has him for the grace period.
    await ada.until((s) => s.members.some((m) => m.name === 'Bob' && m.state === 'away'));
    await ada.close();
    one.child.kill('SIGTERM');
    expect(await one.exited).toBe(0);
  });
});
