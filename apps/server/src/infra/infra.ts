import { Redis } from 'ioredis';
import type { Cache, CacheObserver } from './cache.ts';
import type { EventBus } from './event-bus.ts';
import { MemoryCache } from './memory-cache.ts';
import { MemoryEventBus } from './memory-event-bus.ts';
import { MemoryRoomStore } from './memory-room-store.ts';
import { RedisCache } from './redis-cache.ts';
import { RedisEventBus } from './redis-event-bus.ts';
import { RedisRoomStore } from './redis-room-store.ts';
import type { RoomStore } from './room-store.ts';

export interface Infra {
  cache: Cache;
  roomStore: RoomStore;
  eventBus: EventBus;
  /** The command connection, when REDIS_URL is set (rate limits share it). */
  redis: Redis | undefined;
  close(): Promise<void>;
}

export function connectRedis(url: string): Redis {
  const redis = new Redis(url, {
    // Fail a command fast while Redis is away (refused or killed: after one reconnect attempt, well
    // within a second; silent: by the timeout, which a busy machine's event loop never reaches)
    // instead of queueing it; reconnect in the background, at least twice a second.
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 500),
    connectTimeout: 5000,
    lazyConnect: false,
  });
  // Errors surface on the commands that fail; the connection event itself only needs to be handled.
  redis.on('error', () => {});
  return redis;
}

/** The in-process trio by default; the Redis trio when a URL is given. */
export function createInfra(options: { redisUrl: string | undefined; observeCache?: CacheObserver }): Infra {
  if (!options.redisUrl) {
    const eventBus = new MemoryEventBus();
    const cache = new MemoryCache({ observe: options.observeCache });
    return {
      cache,
      eventBus,
      roomStore: new MemoryRoomStore(eventBus),
      redis: undefined,
      close: async () => {
        await eventBus.close();
        await cache.close();
      },
    };
  }
  const redis = connectRedis(options.redisUrl);
  const eventBus = new RedisEventBus(redis);
  return {
    cache: new RedisCache(redis, { observe: options.observeCache }),
    eventBus,
    roomStore: new RedisRoomStore(redis),
    redis,
    close: async () => {
      await eventBus.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
