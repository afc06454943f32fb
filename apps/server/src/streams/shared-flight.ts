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

/** A load in progress in this process, shared by everyone asking for its key. */
interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  /** Callers that can still walk away (they passed a signal). */
  waiters: number;
  /** A caller without a signal waits to the end, so the load is never cancelled. */
  pinned: boolean;
}

/**
 * Single flight across every instance for values kept in the shared cache: the stream descriptor
 * (whose resolve names the transcode session), the master playlist (whose fetch starts it), the
 * segments and the pieces of direct-play files. Within a process concurrent callers share one
 * promise; across processes one instance takes the lock and loads while the others watch the cache
 * for the value. A holder that fails releases the lock and a waiter takes over; one that vanishes is
 * outlived by its lock's TTL.
 *
 * Callers may pass an AbortSignal: an aborted caller stops waiting at once, and when every caller of
 * a load has walked away (and none came without a signal) the load itself is aborted, so nobody's
 * upstream request outlives the last viewer who wanted it.
 */
export class SharedFlight {
  private readonly inflight = new Map<string, Flight<unknown>>();

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

  bytes(
    key: string,
    ttlMs: number,
    load: (signal: AbortSignal) => Promise<Buffer>,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    return this.run(
      key,
      { read: () => this.cache.getBytes(key), write: (value) => this.cache.setBytes(key, value, ttlMs) },
      load,
      signal,
    );
  }

  /** Drops a cached value (it turned out stale); the next caller loads it afresh. */
  async forget(key: string): Promise<void> {
    await this.cache.delete(key).catch(() => {});
  }

  private run<T>(key: string, slot: Slot<T>, load: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal) {
    const namespace = key.split(':', 1)[0] ?? key;
    let flight = this.inflight.get(key) as Flight<T> | undefined;
    if (flight) {
      this.observe(namespace, 'hit');
    } else {
      const controller = new AbortController();
      const promise = this.fly(namespace, key, slot, () => load(controller.signal), controller.signal).finally(() => {
        if (this.inflight.get(key)?.controller === controller) this.inflight.delete(key);
      });
      promise.catch(() => {});
      flight = { promise, controller, waiters: 0, pinned: false };
      this.inflight.set(key, flight as Flight<unknown>);
    }
    return this.attach(key, flight, signal);
  }

  private attach<T>(key: string, flight: Flight<T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal === undefined) {
      flight.pinned = true;
      return flight.promise;
    }
    flight.waiters++;
    return new Promise<T>((resolve, reject) => {
      let attached = true;
      const detach = () => {
        if (!attached) return;
        attached = false;
        signal.removeEventListener('abort', walkAway);
        flight.waiters--;
      };
      const walkAway = () => {
        detach();
        // Nobody is left to want it: cancel the load and let the next caller start afresh.
        if (flight.waiters === 0 && !flight.pinned) {
          if (this.inflight.get(key) === (flight as Flight<unknown>)) this.inflight.delete(key);
          flight.controller.abort();
        }
        reject(abortReason(signal));
      };
      if (signal.aborted) return walkAway();
      signal.addEventListener('abort', walkAway, { once: true });
      flight.promise.then(
        (value) => {
          detach();
          resolve(value);
        },
        (error: unknown) => {
          detach();
          reject(error);
        },
      );
    });
  }

  private async fly<T>(
    namespace: string,
    key: string,
    slot: Slot<T>,
    load: () => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
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
      signal.throwIfAborted();
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

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The caller walked away.', 'AbortError');
}
