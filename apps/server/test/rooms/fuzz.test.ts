import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../../tests/support/services.ts';
import { waitFor } from '../../../../tests/support/wait.ts';
import type { EventBus } from '../../src/infra/event-bus.ts';
import { connectRedis } from '../../src/infra/infra.ts';
import { RedisEventBus } from '../../src/infra/redis-event-bus.ts';
import { RedisRoomStore } from '../../src/infra/redis-room-store.ts';
import type { RoomStore } from '../../src/infra/room-store.ts';
import type { RoomEngine } from '../../src/rooms/room-engine.ts';
import type { RoomRecord } from '../../src/rooms/room-record.ts';
import { ManualClock, memoryBackend, startEngine, TestClient } from './support/harness.ts';

/**
 * Seeded fuzzing: random joins, leaves, drops, reconnects, commands, reports, junk and time, on two
 * instances sharing one backend. After every step, every connected client must hold exactly the
 * room in the store, having seen only seqs it can account for, and every broadcast seq of a room
 * must have carried the same frame to everyone. A seed that ever fails is pinned below by name.
 */

/** mulberry32: small, fast, seedable. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  };
}

interface Backend {
  instance(): { store: RoomStore<unknown>; bus: EventBus };
  /** Cuts one instance's pub/sub connection (it reconnects by itself); nothing to cut in-process. */
  disrupt(which: number): Promise<void>;
  close(): Promise<void>;
}

function inMemory(): Backend {
  const shared = memoryBackend();
  return { instance: () => shared, disrupt: async () => {}, close: () => shared.bus.close() };
}

function onRedis(): Backend {
  const prefix = `dpp-fuzz:${randomUUID()}:`;
  const connections: Redis[] = [];
  const buses: EventBus[] = [];
  return {
    instance() {
      const redis = connectRedis(TEST_REDIS_URL);
      connections.push(redis);
      const bus = new RedisEventBus(redis, `${prefix}bus:`);
      buses.push(bus);
      return { store: new RedisRoomStore(redis, { prefix: `${prefix}room:`, busPrefix: `${prefix}bus:` }), bus };
    },
    async disrupt(which) {
      const subscriber = (buses[which] as unknown as { subscriber: Redis } | undefined)?.subscriber;
      const admin = connections[0];
      if (!subscriber || !admin) return;
      await admin.client('KILL', 'ADDR', `127.0.0.1:${subscriber.stream.localPort}`).catch(() => {});
    },
    async close() {
      for (const bus of buses) await bus.close();
      for (const redis of connections) {
        const keys = await redis.keys(`${prefix}*`).catch(() => []);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    },
  };
}

const ROOMS = ['dev:fuzz-a', 'dev:fuzz-b'];
const USERS = ['ada', 'bob', 'cy', 'dee', 'eve'];
const ITEM_IDS = ['m1', 'm2', 'm3', 'live', 'missing'];

interface Tracked {
  client: TestClient;
  engine: RoomEngine;
  roomId: string;
  userId: string;
  /** The room incarnation the client joined (a room deleted and created again starts over at seq 1). */
  epoch: string | undefined;
}

async function fuzz(seed: number, steps: number, backend: Backend) {
  const rng = random(seed);
  const clock = new ManualClock();
  const engines = [await startEngine({ clock }, backend.instance()), await startEngine({ clock }, backend.instance())];
  const store = backend.instance().store;
  const live: Tracked[] = [];
  const dropped: Tracked[] = [];
  const frames = new Map<string, string>();
  const log: string[] = [];

  const idle = async () => {
    for (const engine of engines) await engine.idle();
  };
  const record = async (roomId: string) => (await store.get(roomId))?.value as RoomRecord | undefined;

  const checkFrames = (t: Tracked) => {
    for (const m of t.client.received) {
      if (m.type !== 'state') continue;
      const key = `${t.roomId}/${t.epoch}/${m.seq}`;
      const text = JSON.stringify(m);
      const seen = frames.get(key);
      if (seen === undefined) frames.set(key, text);
      else if (seen !== text) throw new Error(`seq ${key} carried two different frames:\n${seen}\n${text}`);
    }
  };

  /** Every connected client converges on the room in the store. */
  const converge = async () => {
    await idle();
    for (const t of live) {
      if (!t.client.isOpen) continue;
      const matches = async () => {
        await idle();
        const room = await record(t.roomId);
        return (
          room !== undefined && JSON.stringify(t.client.snapshot) === JSON.stringify(await t.engine.snapshot(t.roomId))
        );
      };
      await waitFor(matches, { what: `${t.client.name} to converge`, timeoutMs: 5000, intervalMs: 2 }).catch(
        async () => {
          throw new Error(
            `seed ${seed}: ${t.client.name} in ${t.roomId} holds\n${JSON.stringify(t.client.snapshot)}\nbut the store has\n${JSON.stringify(await t.engine.snapshot(t.roomId))}\nit received ${t.client.received.map((m) => `${m.type}${'seq' in m ? m.seq : m.type === 'welcome' || m.type === 'snapshot' ? m.snapshot.seq : ''}`).join(' ')}\nafter:\n${log.slice(-12).join('\n')}`,
          );
        },
      );
      expect(t.client.problems, `seed ${seed}: ${t.client.name}`).toEqual([]);
      checkFrames(t);
    }
    for (const roomId of ROOMS) {
      const room = await record(roomId);
      if (!room) continue;
      // Each open connection is in its member's connections; nobody else is.
      const open = live.filter((t) => t.roomId === roomId && t.client.isOpen);
      for (const m of room.members) {
        const mine = open.filter((t) => t.userId === m.userId).map((t) => t.client.connection.id);
        expect([...m.connections].sort(), `seed ${seed}: ${m.userId} connections`).toEqual(mine.sort());
      }
      if (room.members.length > 0) expect(room.members.some((m) => m.role === 'host')).toBe(true);
      expect(room.playback.itemId).toBe(room.queue[0]?.itemId ?? null);
    }
  };

  const randomCommand = () =>
    rng.pick([
      { op: 'play' },
      { op: 'pause' },
      { op: 'next' },
      { op: 'seek', positionMs: rng.int(70_000) },
      { op: 'load', itemId: rng.pick(ITEM_IDS) },
      { op: 'queue.add', itemId: rng.pick(ITEM_IDS) },
      { op: 'queue.add', itemId: rng.pick(ITEM_IDS) },
      { op: 'queue.remove', entryId: `e${1 + rng.int(8)}` },
      { op: 'queue.move', entryId: `e${1 + rng.int(8)}`, index: 1 + rng.int(4) },
      { op: 'rate', rate: rng.pick([0.5, 1, 1.5, 2]) },
      { op: 'settings', control: rng.pick(['everyone', 'hosts']) },
    ]);

  const join = async (userId: string, roomId: string, lastSeq?: number) => {
    const engine = rng.pick(engines);
    const client = new TestClient(engine, `${userId}@${engines.indexOf(engine)}#${log.length}`);
    client.hello(roomId, userId, lastSeq === undefined ? {} : { lastSeq });
    await client.flush();
    const t: Tracked = { client, engine, roomId, userId, epoch: (await record(roomId))?.epoch };
    live.push(t);
    return t;
  };

  try {
    for (let step = 0; step < steps; step++) {
      const open = live.filter((t) => t.client.isOpen);
      const roll = rng.next();
      if (open.length === 0 || roll < 0.12) {
        const userId = rng.pick(USERS);
        const roomId = rng.pick(ROOMS);
        log.push(`join ${userId} ${roomId}`);
        await join(userId, roomId);
      } else if (roll < 0.17) {
        const t = rng.pick(open);
        log.push(`leave ${t.client.name}`);
        await t.client.close(1000);
      } else if (roll < 0.24) {
        const t = rng.pick(open);
        log.push(`drop ${t.client.name}`);
        await t.client.close(1006);
        dropped.push(t);
      } else if (roll < 0.3 && dropped.length > 0) {
        const t = dropped.splice(rng.int(dropped.length), 1)[0] as Tracked;
        log.push(`reconnect ${t.userId} ${t.roomId} lastSeq ${t.client.seq}`);
        await join(t.userId, t.roomId, t.client.seq);
      } else if (roll < 0.55) {
        const t = rng.pick(open);
        const op = randomCommand();
        log.push(`${t.client.name} ${JSON.stringify(op)}`);
        t.client.command(op);
        await t.client.flush();
      } else if (roll < 0.67) {
        // A burst: several clients on both instances act at once, racing on the store.
        const actors = Array.from({ length: 2 + rng.int(3) }, () => rng.pick(open));
        const joins: Promise<Tracked>[] = [];
        for (const t of actors) {
          const what = rng.int(4);
          if (what === 0) {
            t.client.command(randomCommand());
            log.push(`burst ${t.client.name} command`);
          } else if (what === 1) {
            t.client.report(rng.pick(['ready', 'buffering'] as const), rng.int(70_000));
            log.push(`burst ${t.client.name} report`);
          } else if (what === 2 && t.client.isOpen) {
            log.push(`burst drop ${t.client.name}`);
            void t.client.close(1006);
            dropped.push(t);
          } else {
            const userId = rng.pick(USERS);
            const roomId = rng.pick(ROOMS);
            log.push(`burst join ${userId} ${roomId}`);
            joins.push(join(userId, roomId));
          }
        }
        await Promise.all([...actors.map((t) => t.client.flush()), ...joins]);
      } else if (roll < 0.85) {
        const t = rng.pick(open);
        const state = rng.pick(['ready', 'ready', 'buffering', 'away'] as const);
        const rev = (t.client.snapshot?.playback.rev ?? 0) - (rng.chance(0.1) ? 1 : 0);
        log.push(`${t.client.name} report ${state} rev ${rev}`);
        await t.client.report(state, rng.int(70_000), rev).flush();
      } else if (roll < 0.9) {
        const t = rng.pick(open);
        log.push(`${t.client.name} junk`);
        t.client.sendRaw(rng.pick(['{', '{"type":"command","id":"x","op":"seek"}', '[]', '{"type":"report"}']));
        await t.client.flush();
      } else if (roll < 0.92) {
        const which = rng.int(2);
        log.push(`cut the bus of instance ${which}`);
        await backend.disrupt(which);
      } else {
        const ms = rng.pick([10, 150, 1_000, 5_000, 8_000, 20_000, 31_000]);
        log.push(`time +${ms}`);
        await clock.advance(ms, idle);
      }
      await converge();
    }
  } finally {
    for (const engine of engines) await engine.close();
    await backend.close();
  }
  return { steps, frames: frames.size, clients: live.length };
}

/** More seeds when hunting: ROOM_FUZZ_SEEDS=500 ROOM_FUZZ_FROM=10000 npx vitest run apps/server/test/rooms/fuzz.test.ts */
const hunt = Number(process.env.ROOM_FUZZ_SEEDS ?? 0);
const huntFrom = Number(process.env.ROOM_FUZZ_FROM ?? 10_000);
const seeds = [1, 2, 3, 4, 5, 6, 7, 8, ...Array.from({ length: hunt }, (_, i) => huntFrom + i)];

describe('seeded fuzz: two instances on one in-process backend', () => {
  it.each(seeds)('seed %i converges', { timeout: 60_000 }, async (seed) => {
    const result = await fuzz(seed, 250, inMemory());
    expect(result.frames).toBeGreaterThan(50);
  });

  // Pinned: two members creating a room at once on one instance. The second join's broadcast reached
  // the hub just after its resync had drained the buffer but before it cleared its flag; it sat in
  // the buffer and the first member stayed at seq 1.
  it('seed 1021: a broadcast arriving as a resync ends is delivered', async () => {
    await fuzz(1021, 300, inMemory());
  });

  it('seed 1039: a member joining while a resync reads the store is caught up', async () => {
    await fuzz(1039, 300, inMemory());
  });
});

const services = inject('services');
if (!services.redis) console.warn(`Redis at ${TEST_REDIS_URL} unreachable: the Redis room fuzz is skipped`);

describe.skipIf(!services.redis)('seeded fuzz: two instances on one Redis (with cut pub/sub connections)', () => {
  it.each([101, 102, 103, ...Array.from({ length: Math.min(hunt, 50) }, (_, i) => huntFrom + i)])(
    'seed %i converges',
    { timeout: 120_000 },
    async (seed) => {
      const result = await fuzz(seed, 150, onRedis());
      expect(result.frames).toBeGreaterThan(30);
    },
  );
});
