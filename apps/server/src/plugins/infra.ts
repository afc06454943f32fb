import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Cache } from '../infra/cache.ts';
import type { EventBus } from '../infra/event-bus.ts';
import { createInfra } from '../infra/infra.ts';
import type { RoomStore } from '../infra/room-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    cache: Cache;
    roomStore: RoomStore;
    eventBus: EventBus;
    redis: Redis | undefined;
  }
}

/** Cache, room store and event bus: in-process, or shared through Redis when REDIS_URL is set. */
export default fp(
  async (app) => {
    const infra = createInfra({
      redisUrl: app.config.redisUrl,
      observeCache: (namespace, result) => app.metrics.cacheRequests.inc({ namespace, result }),
    });
    app.decorate('cache', infra.cache);
    app.decorate('roomStore', infra.roomStore);
    app.decorate('eventBus', infra.eventBus);
    app.decorate('redis', infra.redis);
    if (infra.redis) {
      // Start-up waits for Redis once, so a wrong REDIS_URL is reported now rather than on first use.
      await infra.redis.ping().catch(async (error: Error) => {
        await infra.close();
        throw new Error(`REDIS_URL: cannot reach Redis (${error.message})`);
      });
    }
    app.log.info({ cache: infra.cache.kind }, 'cache, room store and event bus ready');
    app.addHook('onClose', async () => {
      await infra.close();
    });
  },
  { name: 'infra', dependencies: ['config', 'metrics'] },
);
