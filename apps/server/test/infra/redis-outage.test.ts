import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServerBinary, PrivateRedis } from '../../../../tests/support/redis-server.ts';
import { waitFor } from '../../../../tests/support/wait.ts';
import { createInfra, type Infra } from '../../src/infra/infra.ts';

const binary = hasRedisServerBinary();
if (!binary) console.warn('redis-server is not installed: the Redis outage suite is skipped');

/** The whole Redis server goes away and comes back (not just a connection). */
describe.skipIf(!binary)('when Redis is down and comes back', () => {
  let redis: PrivateRedis;
  let infra: Infra;
  const observed: string[] = [];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    infra = createInfra({ redisUrl: redis.url, observeCache: (_ns, result) => observed.push(result) });
    await infra.redis?.ping();
  });
  afterAll(async () => {
    await infra.close();
    await redis.down();
  });

  it('the cache still answers by loading, room writes fail loudly and change nothing, then all recovers', async () => {
    const room = 'g:outage';
    expect(await infra.roomStore.compareAndSet(room, 0, { n: 1 })).toBe(1);
    let reconnected = 0;
    infra.eventBus.onReconnect(() => reconnected++);
    const got: unknown[] = [];
    await infra.eventBus.subscribe('room:outage', (m) => got.push(m));

    await redis.down();

    expect(await infra.cache.wrap('lib:sections', 60_000, async () => ['movies'])).toEqual(['movies']);
    expect(observed).toContain('error');
    await expect(infra.roomStore.compareAndSet(room, 1, { n: 2 })).rejects.toThrow();

    await redis.up();
    // A fresh server has no data (it keeps nothing on disk); the clients reconnect and resubscribe.
    await waitFor(() => reconnected > 0, { what: 'bus reconnect', timeoutMs: 10_000 });
    await waitFor(async () => (await infra.roomStore.compareAndSet('g:new', 0, { n: 1 })) === 1, {
      what: 'store after restart',
      timeoutMs: 10_000,
    });
    await infra.eventBus.publish('room:outage', 'back');
    await waitFor(() => got.includes('back'), { what: 'delivery after restart' });
    expect(await infra.cache.wrap('lib:sections', 60_000, async () => ['reloaded'])).toEqual(['reloaded']);
    expect(await infra.cache.get('lib:sections')).toEqual(['reloaded']);
  });
});
