/** A key/value cache with TTLs: the in-process LRU by default, Redis when REDIS_URL is set. */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
  /** Sets the key only when it holds nothing, atomically (Redis `SET NX`): true when this call set it. */
  setIfAbsent<T>(key: string, value: T, ttlMs: number): Promise<boolean>;
  getBytes(key: string): Promise<Buffer | undefined>;
  setBytes(key: string, value: Buffer, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Read-through with single flight: concurrent misses of one key in this process share one load.
   * A cache that cannot answer (Redis down) never fails the caller: the value is loaded directly.
   */
  wrap<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type CacheObserver = (namespace: string, result: 'hit' | 'miss' | 'error') => void;

/** The namespace of a key is its first segment (`search:…` → `search`), for metrics. */
export const namespaceOf = (key: string) => key.split(':', 1)[0] ?? key;

/** Shared single-flight and accounting; implementations provide the raw reads and writes. */
export abstract class BaseCache implements Cache {
  abstract readonly kind: 'memory' | 'redis';
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(protected readonly observe: CacheObserver = () => {}) {}

  abstract get<T>(key: string): Promise<T | undefined>;
  abstract set<T>(key: string, value: T, ttlMs: number): Promise<void>;
  abstract setIfAbsent<T>(key: string, value: T, ttlMs: number): Promise<boolean>;
  abstract getBytes(key: string): Promise<Buffer | undefined>;
  abstract setBytes(key: string, value: Buffer, ttlMs: number): Promise<void>;
  abstract delete(key: string): Promise<void>;
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;

  wrap<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const pending = this.inflight.get(key);
    if (pending) {
      this.observe(namespaceOf(key), 'hit');
      return pending as Promise<T>;
    }
    const flight = this.readThrough(key, ttlMs, load).finally(() => this.inflight.delete(key));
    this.inflight.set(key, flight);
    return flight;
  }

  private async readThrough<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const namespace = namespaceOf(key);
    let reachable = true;
    try {
      const cached = await this.get<T>(key);
      if (cached !== undefined) {
        this.observe(namespace, 'hit');
        return cached;
      }
      this.observe(namespace, 'miss');
    } catch {
      reachable = false;
      this.observe(namespace, 'error');
    }
    const value = await load();
    if (reachable && value !== undefined) {
      await this.set(key, value, ttlMs).catch(() => this.observe(namespace, 'error'));
    }
    return value;
  }
}
