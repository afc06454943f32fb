import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../../tests/support/services.ts';
import { waitFor } from '../../../../tests/support/wait.ts';
import type { Cache } from '../../src/infra/cache.ts';
import type { EventBus } from '../../src/infra/event-bus.ts';
import { connectRedis } from '../../src/infra/infra.ts';
import { MemoryCache } from '../../src/infra/memory-cache.ts';
import { MemoryEventBus } from '../../src/infra/memory-event-bus.ts';
import { MemoryRoomStore } from '../../src/infra/memory-room-store.ts';
import { RedisCache } from '../../src/infra/redis-cache.ts';
import { RedisEventBus } from '../../src/infra/redis-event-bus.ts';
import { RedisRoomStore } from '../../src/infra/redis-room-store.ts';
import { type RoomStore, updateRoom } from '../../src/infra/room-store.ts';

/** One backend seen from two "instances": each has its own cache, store and bus (own connections for Redis). */
interface Backend {
  instance(): { cache: Cache; store: RoomStore<{ n: number }>; bus: EventBus };
  /** Drops every client connection and lets them come back (Redis); nothing to drop in-process. */
  dropConnections(): Promise<void>;
  close(): Promise<void>;
}

function memoryBackend(): Backend {
  const bus = new MemoryEventBus();
  const store = new MemoryRoomStore<{ n: number }>(bus);
  const cache = new MemoryCache();
  return {
    instance: () => ({ cache, store, bus }),
    dropConnections: async () => {},
    close: () => bus.close(),
  };
}

function redisBackend(): Backend {
  const prefix = `dpp-test:${randomUUID()}:`;
  const connections: Redis[] = [];
  const buses: EventBus[] = [];
  return {
    instance() {
      const redis = connectRedis(TEST_REDIS_URL);
      connections.push(redis);
      const bus = new RedisEventBus(redis, `${prefix}bus:`);
      buses.push(bus);
      return {
        cache: new RedisCache(redis, { prefix: `${prefix}cache:` }),
        store: new RedisRoomStore<{ n: number }>(redis, { prefix: `${prefix}room:`, busPrefix: `${prefix}bus:` }),
        bus,
      };
    },
    async dropConnections() {
      const admin = new Redis(TEST_REDIS_URL);
      // Every connection of ours is named by ioredis' default; kill them all, pub/sub ones too.
      for (const redis of connections) {
        const id = await redis.client('ID');
        await admin.client('KILL', 'ID', String(id));
      }
      await admin.quit();
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

const services = inject('services');
if (!services.redis)
  console.warn(`Redis at ${TEST_REDIS_URL} unreachable: the Redis half of the contract suite is skipped`);

const implementations = [
  { name: 'in-process', make: memoryBackend, available: true },
  { name: 'redis', make: redisBackend, available: services.redis },
];

for (const { name, make, available } of implementations)
  describe.skipIf(!available)(`Cache, RoomStore and EventBus contract (${name})`, () => {
    let backend: Backend;
    let a: ReturnType<Backend['instance']>;
    let b: ReturnType<Backend['instance']>;

    beforeAll(() => {
      backend = make();
      a = backend.instance();
      b = backend.instance();
    });
    afterAll(() => backend.close());

    describe('cache', () => {
      it('returns what was set, as a copy, until the TTL expires', async () => {
        const value = { title: 'Big Buck Bunny', tags: ['a'] };
        await a.cache.set('lib:1', value, 150);
        value.tags.push('mutated');
        expect(await b.cache.get('lib:1')).toEqual({ title: 'Big Buck Bunny', tags: ['a'] });
        await waitFor(async () => (await a.cache.get('lib:1')) === undefined, { what: 'TTL expiry' });
      });

      it('stores bytes', async () => {
        const bytes = Buffer.from([0, 1, 2, 255]);
        await a.cache.setBytes('seg:1', bytes, 10_000);
        expect(await b.cache.getBytes('seg:1')).toEqual(bytes);
        await a.cache.delete('seg:1');
        expect(await b.cache.getBytes('seg:1')).toBeUndefined();
      });

      it('sets a key that holds nothing for exactly one of many concurrent callers, across instances', async () => {
        const claims = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).cache.setIfAbsent('claim:1', { by: i }, 10_000)),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect(await a.cache.get('claim:1')).toEqual({ by: claims.indexOf(true) });
        await b.cache.delete('claim:1');
        expect(await a.cache.setIfAbsent('claim:1', { by: 'again' }, 10_000)).toBe(true);
      });

      it('makes one load for 50 concurrent misses of one key', async () => {
        let loads = 0;
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        const load = async () => {
          loads++;
          await gate;
          return { loaded: true };
        };
        const reads = Array.from({ length: 50 }, () => a.cache.wrap('search:dune', 60_000, load));
        release();
        const results = await Promise.all(reads);
        expect(loads).toBe(1);
        expect(results.every((r) => r.loaded)).toBe(true);
        // A later read is a hit, from any instance.
        expect(await b.cache.wrap('search:dune', 60_000, load)).toEqual({ loaded: true });
        expect(loads).toBe(1);
      });

      it('shares a failed load with the waiters and does not cache the failure', async () => {
        let loads = 0;
        const failing = async () => {
          loads++;
          throw new Error('plex down');
        };
        const reads = Array.from({ length: 5 }, () => a.cache.wrap('meta:x', 60_000, failing));
        for (const read of reads) await expect(read).rejects.toThrow('plex down');
        expect(loads).toBe(1);
        expect(await a.cache.wrap('meta:x', 60_000, async () => 'ok')).toBe('ok');
      });
    });

    describe('room store', () => {
      it('compare-and-set writes only on the expected version', async () => {
        const room = `g:${randomUUID()}`;
        expect(await a.store.get(room)).toBeUndefined();
        expect(await a.store.compareAndSet(room, 0, { n: 1 })).toBe(1);
        expect(await b.store.compareAndSet(room, 0, { n: 99 })).toBeUndefined();
        expect(await b.store.compareAndSet(room, 1, { n: 2 })).toBe(2);
        expect(await a.store.compareAndSet(room, 1, { n: 98 })).toBeUndefined();
        expect(await a.store.get(room)).toEqual({ version: 2, value: { n: 2 } });
        expect(await a.store.list()).toContain(room);
        expect(await a.store.delete(room, 1)).toBe(false);
        expect(await a.store.delete(room, 2)).toBe(true);
        expect(await b.store.get(room)).toBeUndefined();
      });

      it('loses no update when two instances race', async () => {
        const room = `g:${randomUUID()}`;
        const increment = (store: RoomStore<{ n: number }>) =>
          updateRoom(store, room, (current) => ({ next: { n: (current?.value.n ?? 0) + 1 }, result: undefined }));
        await Promise.all(Array.from({ length: 20 }, (_, i) => increment(i % 2 ? a.store : b.store)));
        expect(await a.store.get(room)).toEqual({ version: 20, value: { n: 20 } });
      });

      it('announces each write on the bus, in version order', async () => {
        const room = `g:${randomUUID()}`;
        const seen: number[] = [];
        const off = await b.bus.subscribe(`room:${room}`, (m) => seen.push((m as { v: number }).v));
        for (let v = 1; v <= 10; v++) {
          await (v % 2 ? a : b).store.compareAndSet(room, v - 1, { n: v }, { channel: `room:${room}`, message: { v } });
        }
        await waitFor(() => seen.length === 10, { what: 'ten announcements' });
        expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        await off();
      });
    });

    describe('event bus', () => {
      it('delivers across two separate connections, and stops after unsubscribe', async () => {
        const got: unknown[] = [];
        const off = await b.bus.subscribe('news', (m) => got.push(m));
        await a.bus.publish('news', { hello: 1 });
        await waitFor(() => got.length === 1, { what: 'delivery' });
        expect(got).toEqual([{ hello: 1 }]);
        await off();
        await a.bus.publish('news', { hello: 2 });
        // A message on another channel proves the bus delivered past the first one.
        const marker: unknown[] = [];
        const offMarker = await b.bus.subscribe('marker', (m) => marker.push(m));
        await a.bus.publish('marker', 'after');
        await waitFor(() => marker.length === 1, { what: 'marker' });
        expect(got).toEqual([{ hello: 1 }]);
        await offMarker();
      });

      it('keeps working after every connection drops and returns', async () => {
        const room = `g:${randomUUID()}`;
        await a.store.compareAndSet(room, 0, { n: 1 });
        const got: unknown[] = [];
        await b.bus.subscribe('after-drop', (m) => got.push(m));

        await backend.dropConnections();

        // State survives; writes and reads work again once the clients reconnect.
        await waitFor(async () => (await a.store.get(room))?.version === 1, { what: 'store after reconnect' });
        expect(await b.store.compareAndSet(room, 1, { n: 2 })).toBe(2);
        await waitFor(
          async () => {
            await a.bus.publish('after-drop', 'ping');
            return got.length > 0;
          },
          { what: 'delivery after reconnect', intervalMs: 50 },
        );
        expect(got[0]).toBe('ping');
        await a.cache.set('k:after', 1, 10_000);
        expect(await b.cache.get('k:after')).toBe(1);
      });
    });
  });
