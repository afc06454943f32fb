/**
 * Library search for /play, with a cache in the bot so autocomplete answers within Discord's 3 s
 * even when the server or Plex is slow: a fresh cached answer is returned at once; otherwise the
 * server is asked with a deadline, and past it (or when the server is down) the answer comes from
 * a stale entry or from titles seen recently in the guild. The server request carries on in the
 * background and fills the cache for the next keystroke.
 */
import { type Clock, type LibraryItemDto, systemClock, type TimerHandle } from '@dpp/shared';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Actor, ServerApi } from './server-api.ts';

export interface LibrarySearchOptions {
  api: ServerApi;
  log: Logger;
  /** How long an answer counts as fresh (the server caches searches for ~5 min as well). */
  freshMs?: number;
  /** Entries kept (queries × guilds). */
  maxEntries?: number;
  clock?: Clock;
}

interface Entry {
  items: LibraryItemDto[];
  at: number;
}

/** Discord's limit on autocomplete choices. */
export const MAX_CHOICES = 25;

export const normalizeQuery = (query: string) => query.trim().toLowerCase().replace(/\s+/g, ' ').slice(0, 100);

export class LibrarySearch {
  private readonly cache: LRUCache<string, Entry>;
  private readonly inFlight = new Map<string, Promise<LibraryItemDto[]>>();
  /** Items seen per guild, by id: titles for replies and the offline fallback. */
  private readonly seen: LRUCache<string, Map<string, LibraryItemDto>>;
  private readonly freshMs: number;
  private readonly clock: Clock;

  constructor(private readonly options: LibrarySearchOptions) {
    this.freshMs = options.freshMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
    this.cache = new LRUCache({ max: options.maxEntries ?? 1000 });
    this.seen = new LRUCache({ max: 1000 });
  }

  /** Asks the server (with retries), caches and returns the answer. */
  async search(actor: Actor, guildId: string, query: string): Promise<LibraryItemDto[]> {
    const q = normalizeQuery(query);
    if (q === '') return [];
    return this.fetch(actor, guildId, q, true);
  }

  /**
   * For autocomplete: at most `MAX_CHOICES` items, by `deadline` (epoch ms) whatever happens.
   * `source` says where the answer came from (for logs and tests).
   */
  async suggest(
    actor: Actor,
    guildId: string,
    query: string,
    deadline: number,
  ): Promise<{ items: LibraryItemDto[]; source: 'cache' | 'server' | 'stale' | 'recent' | 'none' }> {
    const q = normalizeQuery(query);
    if (q === '') return { items: this.recent(guildId, ''), source: 'recent' };
    const key = `${guildId}\u0000${q}`;
    const cached = this.cache.get(key);
    if (cached && this.clock.now() - cached.at < this.freshMs) return { items: cached.items, source: 'cache' };

    const budget = deadline - this.clock.now();
    if (budget > 0) {
      // Only the wait is cut short at the deadline: the request carries on and fills the cache.
      let timer: TimerHandle;
      const late = new Promise<'late'>((resolve) => {
        timer = this.clock.setTimeout(() => resolve('late'), budget);
      });
      try {
        const items = await Promise.race([this.fetch(actor, guildId, q, false), late]);
        if (items !== 'late') return { items, source: 'server' };
        this.options.log.debug({ guildId }, 'autocomplete: the server missed the deadline; answering from the cache');
      } catch (error) {
        this.options.log.debug({ guildId, err: error }, 'autocomplete: search failed; answering from the cache');
      } finally {
        this.clock.clearTimeout(timer);
      }
    }
    if (cached) return { items: cached.items, source: 'stale' };
    const recent = this.recent(guildId, q);
    return { items: recent, source: recent.length > 0 ? 'recent' : 'none' };
  }

  /** An item seen in an earlier answer for the guild. */
  item(guildId: string, itemId: string): LibraryItemDto | undefined {
    return this.seen.get(guildId)?.get(itemId);
  }

  /** One request per guild and query at a time; `retry` false for autocomplete, which cannot wait. */
  private fetch(actor: Actor, guildId: string, q: string, retry: boolean): Promise<LibraryItemDto[]> {
    const key = `${guildId}\u0000${q}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const request = this.options.api
      .search(actor, guildId, q, MAX_CHOICES, { retry })
      .then((response) => {
        const items = response.items.slice(0, MAX_CHOICES);
        this.cache.set(key, { items, at: this.clock.now() });
        let seen = this.seen.get(guildId);
        if (!seen) {
          seen = new Map();
          this.seen.set(guildId, seen);
        }
        for (const item of items) seen.set(item.id, item);
        while (seen.size > 2000) seen.delete(seen.keys().next().value as string);
        return items;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    // A background request that fails after the deadline must not become an unhandled rejection.
    request.catch(() => {});
    return request;
  }

  /** Titles seen in the guild that contain every word of the query. */
  private recent(guildId: string, q: string): LibraryItemDto[] {
    const seen = this.seen.get(guildId);
    if (!seen) return [];
    const words = q.split(' ').filter(Boolean);
    const out: LibraryItemDto[] = [];
    for (const item of [...seen.values()].reverse()) {
      const haystack = `${item.title} ${item.grandparentTitle ?? ''} ${item.year ?? ''}`.toLowerCase();
      if (words.every((w) => haystack.includes(w))) out.push(item);
      if (out.length >= MAX_CHOICES) break;
    }
    return out;
  }
}
