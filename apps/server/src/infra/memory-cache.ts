import { LRUCache } from 'lru-cache';
import { BaseCache, type CacheObserver } from './cache.ts';

type Entry = { json: string } | { bytes: Buffer };

/** The in-process cache: an LRU bounded by size, with per-entry TTLs. Values are copied in and out. */
export class MemoryCache extends BaseCache {
  readonly kind = 'memory' as const;
  private readonly lru: LRUCache<string, Entry>;

  constructor(options: { maxBytes?: number; observe?: CacheObserver } = {}) {
    super(options.observe);
    this.lru = new LRUCache<string, Entry>({
      maxSize: options.maxBytes ?? 256 * 1024 * 1024,
      sizeCalculation: (entry, key) => key.length + ('json' in entry ? entry.json.length : entry.bytes.length),
      ttlAutopurge: false,
      allowStale: false,
    });
  }

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.lru.get(key);
    return entry && 'json' in entry ? (JSON.parse(entry.json) as T) : undefined;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    this.lru.set(key, { json: JSON.stringify(value) }, { ttl: ttlMs });
  }

  async setIfAbsent<T>(key: string, value: T, ttlMs: number): Promise<boolean> {
    if (this.lru.has(key)) return false;
    this.lru.set(key, { json: JSON.stringify(value) }, { ttl: ttlMs });
    return true;
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    const entry = this.lru.get(key);
    return entry && 'bytes' in entry ? entry.bytes : undefined;
  }

  async setBytes(key: string, value: Buffer, ttlMs: number): Promise<void> {
    this.lru.set(key, { bytes: value }, { ttl: ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.lru.clear();
  }
}
