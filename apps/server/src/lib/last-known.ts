import { isDatabaseUnavailable } from '../db/database.ts';

/**
 * A read-through memo of small database records that every request reads (a guild's settings, its
 * linked Plex server): fresh for `ttlMs`, then read again; when the database does not answer, the
 * last value read is served (and trusted for `outageMs` more, so an outage costs one timeout, not
 * one per request). Callers clear it when they change the records, so a change is seen at once on
 * this instance and within `ttlMs` on the others.
 */
export class LastKnown<T> {
  private readonly entries = new Map<string, { value: T; freshUntil: number }>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly outageMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && this.now() < hit.freshUntil) return hit.value;
    try {
      const value = await load();
      this.entries.set(key, { value, freshUntil: this.now() + this.ttlMs });
      return value;
    } catch (error) {
      if (!hit || !isDatabaseUnavailable(error)) throw error;
      hit.freshUntil = this.now() + this.outageMs;
      return hit.value;
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
