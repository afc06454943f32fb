import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Cache } from '../infra/cache.ts';

/** A short-lived lock that one instance holds while it loads a value everyone shares. */
export interface FlightLock {
  /** A release function when the lock is ours, undefined while another holder has it. */
  tryAcquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

/** One process: in-process single flight already makes loads unique, so the lock is always free. */
export const processLock: FlightLock = {
  tryAcquire: async () => async () => {},
};

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** Across instances: SET NX PX on Redis, released only by its holder. A Redis error counts as free. */
export function redisLock(redis: Redis, prefix = 'dpp:lock:'): FlightLock {
  return {
    async tryAcquire(key, ttlMs) {
      const token = randomBytes(12).toString('base64url');
      try {
        const taken = await redis.set(prefix + key, token, 'PX', ttlMs, 'NX');
        if (taken !== 'OK') return undefined;
      } catch {
        return async () => {};
      }
      return async () => {
        await redis.eval(RELEASE, 1, prefix + key, token).catch(() => {});
      };
    },
  };
}

export type CacheObserver = (namespace: string, result: 'hit' | 'miss') => void;

interface Slot<T> {
  read(): Promise<T | undefined>;
  write(value: T): Promise<void>;
}

/**
 * Single flight across every instance for values kept in the shared cache: the stream descriptor
 * (whose resolve names the transcode session), the master playlist (whose fetch starts it) and
 * the segments. Within a process concurrent callers share one promise; across processes one
 * instance takes the lock and loads while the others watch the cache for the value. A holder that
 * fails releases the lock and a waiter takes over; one that vanishes is outlived by its lock's TTL.
 */
export class SharedFlight {
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly cache: Cache,
    private readonly lock: FlightLock,
    private readonly observe: CacheObserver,
    private readonly options: { lockTtlMs?: number; pollMs?: number; maxWaitMs?: number } = {},
  ) {}

  json<T>(key: string, ttlMs: number | ((value: T) => number), load: () => Promise<T>): Promise<T> {
    return this.run(
      key,
      {
        read: () => this.cache.get<T>(key),
        write: (value) => this.cache.set(key, value, typeof ttlMs === 'number' ? ttlMs : ttlMs(value)),
      },
      load,
    );
  }

  bytes(key: string, ttlMs: number, load: () => Promise<Buffer>): Promise<Buffer> {
    return this.run(
      key,
      { read: () => this.cache.getBytes(key), write: (value) => this.cache.setBytes(key, value, ttlMs) },
      load,
    );
  }

  private run<T>(key: string, slot: Slot<T>, load: () => Promise<T>): Promise<T> {
    const namespace = key.split(':', 1)[0] ?? key;
    const pending = this.inflight.get(key) as Promise<T> | undefined;
    if (pending) {
      this.observe(namespace, 'hit');
      return pending;
    }
    const flight = this.fly(namespace, key, slot, load).finally(() => this.inflight.delete(key));
    this.inflight.set(key, flight);
    return flight;
  }

  private async fly<T>(namespace: string, key: string, slot: Slot<T>, load: () => Promise<T>): Promise<T> {
    const read = () => slot.read().catch(() => undefined);
    const cached = await read();
    if (cached !== undefined) {
      this.observe(namespace, 'hit');
      return cached;
    }
    this.observe(namespace, 'miss');
    const { lockTtlMs = 30_000, pollMs = 20, maxWaitMs = 30_000 } = this.options;
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const release = await this.lock.tryAcquire(key, lockTtlMs);
      if (release) {
        try {
          // Another instance may have finished between our read and the lock.
          const late = await read();
          if (late !== undefined) return late;
          const value = await load();
          await slot.write(value).catch(() => {});
          return value;
        } finally {
          await release();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      const theirs = await read();
      if (theirs !== undefined) return theirs;
      if (Date.now() > deadline) return load();
    }
  }
}
