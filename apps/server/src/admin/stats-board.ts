import type { Redis } from 'ioredis';
import { type InstanceMinute, type InstanceSnapshot, MINUTE_MS } from './instance-stats.ts';

/** How long the history reaches back: one hour of minutes. */
export const HISTORY_MS = 60 * MINUTE_MS;

/**
 * Where instances leave their stats for the dashboard: each its own snapshot under a key that
 * expires (a dead instance drops off by itself) and a ring of 60 one-minute slots for the last hour.
 */
export interface StatsBoard {
  readonly kind: 'redis' | 'local';
  publish(snapshot: InstanceSnapshot, minute: InstanceMinute, ttlMs: number): Promise<void>;
  /** The living instances' snapshots and every instance's minutes within the last hour. */
  read(now: number): Promise<{ instances: InstanceSnapshot[]; minutes: InstanceMinute[] }>;
}

const slotOf = (t: number) => String(Math.floor(t / MINUTE_MS) % 60);

/** This instance alone (no REDIS_URL): the same shape, in memory. */
export class LocalStatsBoard implements StatsBoard {
  readonly kind = 'local';
  private snapshot: { value: InstanceSnapshot; expiresAt: number } | undefined;
  private readonly ring = new Map<string, InstanceMinute>();

  async publish(snapshot: InstanceSnapshot, minute: InstanceMinute, ttlMs: number) {
    this.snapshot = { value: snapshot, expiresAt: snapshot.seenAt + ttlMs };
    this.ring.set(slotOf(minute.t), minute);
  }

  async read(now: number) {
    const instances = this.snapshot && this.snapshot.expiresAt > now ? [this.snapshot.value] : [];
    const minutes = [...this.ring.values()].filter((m) => m.t > now - HISTORY_MS);
    return { instances, minutes };
  }
}

/** Every instance on one Redis: snapshots under TTL'd keys, a sorted set of who published when, a hash ring each. */
export class RedisStatsBoard implements StatsBoard {
  readonly kind = 'redis';
  private readonly index: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'dpp:admin:',
  ) {
    this.index = `${prefix}instances`;
  }

  private snapshotKey(id: string) {
    return `${this.prefix}instance:${id}`;
  }

  private historyKey(id: string) {
    return `${this.prefix}history:${id}`;
  }

  async publish(snapshot: InstanceSnapshot, minute: InstanceMinute, ttlMs: number) {
    const history = this.historyKey(snapshot.id);
    await this.redis
      .multi()
      .set(this.snapshotKey(snapshot.id), JSON.stringify(snapshot), 'PX', ttlMs)
      .zadd(this.index, snapshot.seenAt, snapshot.id)
      .hset(history, slotOf(minute.t), JSON.stringify(minute))
      .pexpire(history, HISTORY_MS + MINUTE_MS)
      .exec();
  }

  async read(now: number) {
    const since = now - HISTORY_MS;
    // Instances gone for more than the hour are forgotten; the others' history still counts.
    await this.redis.zremrangebyscore(this.index, '-inf', `(${since}`);
    const ids = await this.redis.zrangebyscore(this.index, since, '+inf');
    if (ids.length === 0) return { instances: [], minutes: [] };
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.get(this.snapshotKey(id));
    for (const id of ids) pipeline.hvals(this.historyKey(id));
    const results = (await pipeline.exec()) ?? [];
    const instances: InstanceSnapshot[] = [];
    const minutes: InstanceMinute[] = [];
    results.forEach(([error, value], index) => {
      if (error) throw error;
      if (index < ids.length) {
        if (typeof value === 'string') instances.push(JSON.parse(value) as InstanceSnapshot);
        return;
      }
      for (const text of value as string[]) {
        const minute = JSON.parse(text) as InstanceMinute;
        if (minute.t > since) minutes.push(minute);
      }
    });
    return { instances, minutes };
  }
}
