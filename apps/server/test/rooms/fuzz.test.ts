import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
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
 * Model-based fuzzing with fast-check: random joins, leaves, drops, reconnects, commands, reports,
 * junk, cut pub/sub connections and time, on two instances sharing one backend. The model is small:
 * which connections the test holds open (user, room) and which dropped and may come back with their
 * last seq. After every command the engine is checked against the model and against itself: every
 * open client holds exactly the room in the store, having seen only seqs it can account for; every
 * broadcast seq of a room carried the same frame to everyone; each member's connections are the
 * model's open connections of that user in that room, and nobody else's; a room with members has a
 * host; the current item heads the queue. A failure shrinks to a short list of commands, printed with
 * its seed and path (replay: ROOM_FUZZ_SEED, or name the list as a test below).
 */
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

/** A connection as the model knows it. */
interface Connection {
  key: number;
  userId: string;
  roomId: string;
}
interface Model {
  open: Connection[];
  dropped: Connection[];
}

interface Tracked {
  client: TestClient;
  engine: RoomEngine;
  /** The room incarnation the client joined (a room deleted and created again starts over at seq 1). */
  epoch: string | undefined;
}

/** The system under test: two engines on one backend, the clients, and what they were sent. */
class World {
  readonly clock = new ManualClock();
  readonly frames = new Map<string, string>();
  readonly log: string[] = [];
  readonly clients = new Map<number, Tracked>();
  private keys = 0;

  private constructor(
    readonly engines: RoomEngine[],
    readonly store: RoomStore<unknown>,
    readonly backend: Backend,
  ) {}

  static async start(backend: Backend): Promise<World> {
    const world = new World([], backend.instance().store, backend);
    for (let i = 0; i < 2; i++) world.engines.push(await startEngine({ clock: world.clock }, backend.instance()));
    return world;
  }

  async close() {
    for (const engine of this.engines) await engine.close();
    await this.backend.close();
  }

  idle = async () => {
    for (const engine of this.engines) await engine.idle();
  };

  record = async (roomId: string) => (await this.store.get(roomId))?.value as RoomRecord | undefined;

  /** The one place the test asks an engine about a room. */
  snapshotOf = (t: Tracked, roomId: string) => t.engine.snapshot(roomId);

  tracked(connection: Connection): Tracked {
    const t = this.clients.get(connection.key);
    if (!t) throw new Error(`no client ${connection.key}`);
    return t;
  }

  /** Opens a connection (not yet flushed): the model learns of it at once. */
  connect(model: Model, userId: string, roomId: string, engineIndex: number, lastSeq?: number) {
    const key = ++this.keys;
    const engine = this.engines[engineIndex % this.engines.length] as RoomEngine;
    const client = new TestClient(engine, `${userId}@${engineIndex % this.engines.length}#${key}`);
    client.hello(roomId, userId, lastSeq === undefined ? {} : { lastSeq });
    const connection = { key, userId, roomId };
    const tracked: Tracked = { client, engine, epoch: undefined };
    this.clients.set(key, tracked);
    model.open.push(connection);
    return {
      connection,
      joined: client.flush().then(async () => {
        tracked.epoch = (await this.record(roomId))?.epoch;
      }),
    };
  }

  /** The connection leaves the model's open ones (and, on a drop, may come back). */
  disconnect(model: Model, connection: Connection, code: 1000 | 1006) {
    model.open = model.open.filter((c) => c !== connection);
    if (code === 1006) model.dropped.push(connection);
    return this.tracked(connection).client.close(code);
  }

  private checkFrames(roomId: string, t: Tracked) {
    for (const m of t.client.received) {
      if (m.type !== 'state') continue;
      const key = `${roomId}/${t.epoch}/${m.seq}`;
      const text = JSON.stringify(m);
      const seen = this.frames.get(key);
      if (seen === undefined) this.frames.set(key, text);
      else if (seen !== text) throw new Error(`seq ${key} carried two different frames:\n${seen}\n${text}`);
    }
  }

  /** The engine against the model, and every open client against the room in the store. */
  async check(model: Model) {
    await this.idle();
    // Connections the server closed itself (repeated junk) are no longer open.
    model.open = model.open.filter((c) => this.tracked(c).client.isOpen);
    for (const connection of model.open) {
      const t = this.tracked(connection);
      const matches = async () => {
        await this.idle();
        const room = await this.record(connection.roomId);
        return (
          room !== undefined &&
          JSON.stringify(t.client.snapshot) === JSON.stringify(await this.snapshotOf(t, connection.roomId))
        );
      };
      await waitFor(matches, { what: `${t.client.name} to converge`, timeoutMs: 5000, intervalMs: 2 }).catch(
        async () => {
          throw new Error(
            `${t.client.name} in ${connection.roomId} holds\n${JSON.stringify(t.client.snapshot)}\nbut the store has\n${JSON.stringify(await this.snapshotOf(t, connection.roomId))}\nit received ${t.client.received.map((m) => `${m.type}${'seq' in m ? m.seq : m.type === 'welcome' || m.type === 'snapshot' ? m.snapshot.seq : ''}`).join(' ')}\nafter:\n${this.log.slice(-12).join('\n')}`,
          );
        },
      );
      expect(t.client.problems, t.client.name).toEqual([]);
      this.checkFrames(connection.roomId, t);
    }
    for (const roomId of ROOMS) {
      const room = await this.record(roomId);
      if (!room) continue;
      const open = model.open.filter((c) => c.roomId === roomId);
      for (const m of room.members) {
        const mine = open.filter((c) => c.userId === m.userId).map((c) => this.tracked(c).client.connection.id);
        expect([...m.connections].sort(), `${m.userId} connections`).toEqual(mine.sort());
      }
      if (room.members.length > 0) expect(room.members.some((m) => m.role === 'host')).toBe(true);
      expect(room.playback.itemId).toBe(room.queue[0]?.itemId ?? null);
    }
  }
}

type Op = Record<string, unknown> & { op: string };
type Step = fc.AsyncCommand<Model, World>;
const pick = <T>(items: readonly T[], n: number): T => items[n % items.length] as T;

/** A fuzz command: `act` changes the world (and the model); every command then checks the lot. */
function step(name: string, act: (model: Model, world: World) => Promise<void>, ready = (_: Model) => true): Step {
  return {
    check: ready,
    async run(model, world) {
      world.log.push(name);
      await act(model, world);
      await world.check(model);
    },
    toString: () => name,
  };
}
const someOpen = (m: Model) => m.open.length > 0;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ op: 'play' }),
  fc.constant({ op: 'pause' }),
  fc.constant({ op: 'next' }),
  fc.nat(69_999).map((positionMs) => ({ op: 'seek', positionMs })),
  fc.constantFrom(...ITEM_IDS).map((itemId) => ({ op: 'load', itemId })),
  { weight: 2, arbitrary: fc.constantFrom(...ITEM_IDS).map((itemId) => ({ op: 'queue.add', itemId })) },
  fc.integer({ min: 1, max: 8 }).map((n) => ({ op: 'queue.remove', entryId: `e${n}` })),
  fc
    .record({ n: fc.integer({ min: 1, max: 8 }), index: fc.integer({ min: 1, max: 4 }) })
    .map(({ n, index }) => ({ op: 'queue.move', entryId: `e${n}`, index })),
  fc.constantFrom(0.5, 1, 1.5, 2).map((rate) => ({ op: 'rate', rate })),
  fc.constantFrom('everyone', 'hosts').map((control) => ({ op: 'settings', control })),
);
const userArb = fc.constantFrom(...USERS);
const roomArb = fc.constantFrom(...ROOMS);
const engineArb = fc.nat(1);

const join = (userId: string, roomId: string, engine: number) =>
  step(`join ${userId} ${roomId} on ${engine}`, (model, world) => world.connect(model, userId, roomId, engine).joined);

const leave = (n: number) =>
  step(`leave #${n}`, (model, world) => world.disconnect(model, pick(model.open, n), 1000), someOpen);

const drop = (n: number) =>
  step(`drop #${n}`, (model, world) => world.disconnect(model, pick(model.open, n), 1006), someOpen);

const reconnect = (n: number, engine: number) =>
  step(
    `reconnect dropped #${n} on ${engine}`,
    async (model, world) => {
      const [gone] = model.dropped.splice(n % model.dropped.length, 1) as [Connection];
      const lastSeq = world.tracked(gone).client.seq;
      await world.connect(model, gone.userId, gone.roomId, engine, lastSeq).joined;
    },
    (m) => m.dropped.length > 0,
  );

const command = (n: number, op: Op) =>
  step(
    `#${n} ${JSON.stringify(op)}`,
    async (model, world) => {
      const { client } = world.tracked(pick(model.open, n));
      client.command(op);
      await client.flush();
    },
    someOpen,
  );

const report = (n: number, state: 'ready' | 'buffering' | 'away', positionMs: number, stale: boolean) =>
  step(
    `#${n} report ${state}${stale ? ' (stale rev)' : ''}`,
    async (model, world) => {
      const { client } = world.tracked(pick(model.open, n));
      await client.report(state, positionMs, (client.snapshot?.playback.rev ?? 0) - (stale ? 1 : 0)).flush();
    },
    someOpen,
  );

const JUNK = ['{', '{"type":"command","id":"x","op":"seek"}', '[]', '{"type":"report"}'];
const junk = (n: number, text: string) =>
  step(
    `#${n} junk ${text}`,
    async (model, world) => {
      const { client } = world.tracked(pick(model.open, n));
      client.sendRaw(text);
      await client.flush();
    },
    someOpen,
  );

const cutBus = (which: number) => step(`cut the bus of instance ${which}`, (_, world) => world.backend.disrupt(which));

const time = (ms: number) => step(`time +${ms}`, (_, world) => world.clock.advance(ms, world.idle));

/** Several clients on both instances act at once, racing on the store. */
type BurstAction =
  | { what: 'command'; n: number; op: Op }
  | { what: 'report'; n: number; state: 'ready' | 'buffering'; positionMs: number }
  | { what: 'drop'; n: number }
  | { what: 'join'; userId: string; roomId: string; engine: number };
const burstActionArb: fc.Arbitrary<BurstAction> = fc.oneof(
  fc.record({ what: fc.constant('command' as const), n: fc.nat(), op: opArb }),
  fc.record({
    what: fc.constant('report' as const),
    n: fc.nat(),
    state: fc.constantFrom('ready' as const, 'buffering' as const),
    positionMs: fc.nat(69_999),
  }),
  fc.record({ what: fc.constant('drop' as const), n: fc.nat() }),
  fc.record({ what: fc.constant('join' as const), userId: userArb, roomId: roomArb, engine: engineArb }),
);
const burst = (actions: BurstAction[]) =>
  step(
    `burst ${JSON.stringify(actions)}`,
    async (model, world) => {
      const actors = actions.map((a) => ('n' in a ? pick(model.open, a.n) : undefined));
      const pending: Promise<void>[] = [];
      actions.forEach((action, i) => {
        const actor = actors[i];
        const client = actor && world.tracked(actor).client;
        switch (action.what) {
          case 'command':
            client?.command(action.op);
            break;
          case 'report':
            client?.report(action.state, action.positionMs);
            break;
          case 'drop':
            if (actor && model.open.includes(actor)) void world.disconnect(model, actor, 1006);
            break;
          case 'join':
            pending.push(world.connect(model, action.userId, action.roomId, action.engine).joined);
            break;
        }
      });
      const flushes = [...new Set(actors.filter((a) => a !== undefined))].map((a) => world.tracked(a).client.flush());
      await Promise.all([...flushes, ...pending]);
    },
    // With nobody connected, only its joins act.
  );

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(userArb, roomArb, engineArb).map(([u, r, e]) => join(u, r, e)) },
  { weight: 5, arbitrary: fc.nat().map(leave) },
  { weight: 7, arbitrary: fc.nat().map(drop) },
  { weight: 6, arbitrary: fc.tuple(fc.nat(), engineArb).map(([n, e]) => reconnect(n, e)) },
  { weight: 25, arbitrary: fc.tuple(fc.nat(), opArb).map(([n, op]) => command(n, op)) },
  { weight: 12, arbitrary: fc.array(burstActionArb, { minLength: 2, maxLength: 4 }).map(burst) },
  {
    weight: 18,
    arbitrary: fc
      .tuple(
        fc.nat(),
        fc.constantFrom('ready', 'ready', 'buffering', 'away') as fc.Arbitrary<'ready' | 'buffering' | 'away'>,
        fc.nat(69_999),
        fc.boolean(),
      )
      .map(([n, state, positionMs, stale]) => report(n, state, positionMs, stale)),
  },
  { weight: 5, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(...JUNK)).map(([n, text]) => junk(n, text)) },
  { weight: 2, arbitrary: fc.nat(1).map(cutBus) },
  { weight: 8, arbitrary: fc.constantFrom(10, 150, 1_000, 5_000, 8_000, 20_000, 31_000).map(time) },
);

/** Runs `steps` on a fresh world; how many distinct broadcast frames the clients saw. */
async function runSteps(steps: Iterable<Step>, backend: Backend): Promise<number> {
  const world = await World.start(backend);
  try {
    await fc.asyncModelRun(() => ({ model: { open: [], dropped: [] } as Model, real: world }), steps);
    return world.frames.size;
  } finally {
    await world.close();
  }
}

/** Fuzzes with fast-check from `seed`: `runs` command lists of up to `maxCommands`, shrunk on failure. */
async function fuzz(seed: number, runs: number, maxCommands: number, backend: () => Backend) {
  let frames = 0;
  await fc.assert(
    fc.asyncProperty(fc.commands([stepArb], { maxCommands, size: 'max' }), async (steps) => {
      frames += await runSteps(steps, backend());
    }),
    { seed, numRuns: runs, endOnFailure: process.env.ROOM_FUZZ_SHRINK === '0' },
  );
  return frames;
}

/** More when hunting: ROOM_FUZZ_RUNS=200 ROOM_FUZZ_SEED=42 npx vitest run apps/server/test/rooms/fuzz.test.ts */
const huntRuns = Number(process.env.ROOM_FUZZ_RUNS ?? 0);
const huntSeed = Number(process.env.ROOM_FUZZ_SEED ?? Date.now());
const seeds = [1, 2, 3, 4, 5, 6, 7, 8];

describe('model-based fuzz: two instances on one in-process backend', () => {
  it.each(seeds)('seed %i converges', { timeout: 120_000 }, async (seed) => {
    expect(await fuzz(seed, 4, 250, inMemory)).toBeGreaterThan(50);
  });

  // Only declared when hunting, so an ordinary run shows no skipped test.
  if (huntRuns > 0) {
    it(`hunting from seed ${huntSeed}`, { timeout: 0 }, async () => {
      await fuzz(huntSeed, huntRuns, 300, inMemory);
    });
  }

  // Pinned: two members creating a room at once on one instance. The second join's broadcast reached
  // the hub just after its resync had drained the buffer but before it cleared its flag; it sat in
  // the buffer and the first member stayed at seq 1.
  it('two members creating a room at once on one instance both follow it', async () => {
    const frames = await runSteps(
      [
        burst([
          { what: 'join', userId: 'ada', roomId: 'dev:fuzz-a', engine: 0 },
          { what: 'join', userId: 'bob', roomId: 'dev:fuzz-a', engine: 0 },
        ]),
        command(0, { op: 'queue.add', itemId: 'm1' }),
        command(1, { op: 'play' }),
      ],
      inMemory(),
    );
    expect(frames).toBeGreaterThan(0);
  });

  // Pinned: a member joining while a resync reads the store is caught up.
  it('a member joining while another instance catches up is caught up too', async () => {
    const frames = await runSteps(
      [
        join('ada', 'dev:fuzz-a', 1),
        command(0, { op: 'load', itemId: 'm2' }),
        burst([
          { what: 'command', n: 0, op: { op: 'seek', positionMs: 5_000 } },
          { what: 'join', userId: 'cy', roomId: 'dev:fuzz-a', engine: 0 },
          { what: 'join', userId: 'dee', roomId: 'dev:fuzz-a', engine: 1 },
        ]),
        time(1_000),
      ],
      inMemory(),
    );
    expect(frames).toBeGreaterThan(0);
  });
});

const services = inject('services');
if (!services.redis) console.warn(`Redis at ${TEST_REDIS_URL} unreachable: the Redis room fuzz is skipped`);

describe.skipIf(!services.redis)('model-based fuzz: two instances on one Redis (with cut pub/sub connections)', () => {
  it.each([101, 102, 103])('seed %i converges', { timeout: 240_000 }, async (seed) => {
    expect(await fuzz(seed, 2, 150, onRedis)).toBeGreaterThan(30);
  });

  if (huntRuns > 0) {
    it(`hunting from seed ${huntSeed}`, { timeout: 0 }, async () => {
      await fuzz(huntSeed, Math.min(huntRuns, 50), 150, onRedis);
    });
  }
});
