import type { Redis } from 'ioredis';
import { BaseCache, type CacheObserver } from './cache.ts';

/** The shared cache: every instance behind the load balancer reads the same entries. */
export class RedisCache extends BaseCache {
  readonly kind = 'redis' as const;

  constructor(
    private readonly redis: Redis,
    options: { prefix?: string; observe?: CacheObserver } = {},
  ) {
    super(options.observe);
    this.prefix = options.prefix ?? 'dpp:cache:';
  }

  private readonly prefix: string;

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(this.prefix + key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async setIfAbsent<T>(key: string, value: T, ttlMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.round(ttlMs));
    return (await this.redis.set(this.prefix + key, JSON.stringify(value), 'PX', ttl, 'NX')) === 'OK';
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    return (await this.redis.getBuffer(this.prefix + key)) ?? undefined;
  }

  async setBytes(key: string, value: Buffer, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  /** The connection is owned by whoever created it (the infra plugin closes it). */
  async close(): Promise<void> {}
}
