import { randomBytes } from 'node:crypto';
import type { Cache } from '../infra/cache.ts';
import type { Sealer } from '../lib/sealing.ts';
import type { Quality, StreamDescriptor, TimelineReport } from '../media/media-source.ts';
import type { SharedFlight } from './shared-flight.ts';

/** One quality of one item in one room: the unit that shares a stream (and a transcode). */
export interface StreamKey {
  roomId: string;
  itemId: string;
  quality: Quality;
}

/** What the sessions need from the library: resolve a stream under a session key, stop one. */
export interface StreamLibrary {
  resolve(key: StreamKey, sessionKey: string): Promise<StreamDescriptor>;
  stop(descriptor: StreamDescriptor): Promise<void>;
  /** Tells the upstream a transcode is still wanted; false when it no longer has it. */
  keepAlive(descriptor: StreamDescriptor): Promise<boolean>;
  /** Reports a stream's playback session to its source (Plex's timeline); a no-op for others. */
  timeline(key: StreamKey, sessionKey: string, report: TimelineReport): Promise<void>;
}

/** How often the transcodes this instance holds are kept alive (Plex ends idle ones after a minute or so). */
export const KEEP_ALIVE_INTERVAL_MS = 20_000;

export interface SessionsLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/** Descriptors live as long as the room stays on the item; this bounds a forgotten one. */
export const DESCRIPTOR_TTL_MS = 12 * 60 * 60 * 1000;

const keyString = (key: StreamKey) => `${key.roomId}\n${key.itemId}\n${key.quality}`;
const cacheKey = (key: StreamKey) => `stream:${key.roomId}:${key.itemId}:${key.quality}`;

interface Entry {
  key: StreamKey;
  descriptor: Promise<StreamDescriptor>;
  state: EntryState;
}

interface EntryState {
  ended: boolean;
  /** Set once this instance resolved the stream: it owns the upstream session and reports on it. */
  ownSessionKey?: string;
  /** What the stream turned out to be, once resolved. */
  kind?: StreamDescriptor['kind'];
}

/** A stream whose upstream playback session this instance started (and so reports to Plex). */
export interface OwnedStream {
  key: StreamKey;
  sessionKey: string;
}

/**
 * The shared streams of every room on this instance. The first request for a (room, item, quality)
 * resolves it once (one transcode session key, made here) and every other member reuses it; the
 * descriptor also goes into the shared cache (`stream:` namespace) so another instance serving the
 * same room reads it back instead of starting a second transcode. Ending a stream (the room moved
 * on or emptied, or the server closes) stops its upstream session exactly once from here.
 */
export class StreamSessions {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly deps: {
      cache: Cache;
      flight: SharedFlight;
      library: StreamLibrary;
      /** Descriptors hold the upstream address and token: the cache only ever sees them sealed. */
      sealer: Sealer;
      log: SessionsLogger;
      ttlMs?: number;
      keepAliveMs?: number;
      /** An owned stream ended; `continuing` when its room went on to another item. */
      onEnded?: (stream: OwnedStream, continuing: boolean) => void;
    },
  ) {
    // A paused room fetches nothing, and Plex ends transcodes nobody asks anything of: keep the
    // sessions of the rooms this instance serves alive until their room moves on or empties.
    this.keepAliveTimer = setInterval(() => void this.keepAlive(), deps.keepAliveMs ?? KEEP_ALIVE_INTERVAL_MS);
    this.keepAliveTimer.unref();
  }

  private readonly keepAliveTimer: NodeJS.Timeout;

  /** Pings every transcode this instance holds; one Plex no longer has is forgotten (asked afresh next time). */
  async keepAlive(): Promise<void> {
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        const descriptor = await entry.descriptor.catch(() => undefined);
        if (descriptor?.kind !== 'hls' || entry.state.ended) return;
        try {
          if (!(await this.deps.library.keepAlive(descriptor))) await this.forget(entry.key, descriptor);
        } catch (error) {
          this.deps.log.warn(
            { roomId: entry.key.roomId, err: error instanceof Error ? error.message : String(error) },
            'could not keep a transcode session alive',
          );
        }
      }),
    );
  }

  /** The stream's descriptor, resolving it on first use (concurrent first uses share one resolve). */
  descriptor(key: StreamKey): Promise<StreamDescriptor> {
    const id = keyString(key);
    const existing = this.entries.get(id);
    if (existing) return existing.descriptor;
    const state: EntryState = { ended: false };
    const entry: Entry = { key, descriptor: this.load(key, state), state };
    this.entries.set(id, entry);
    // A failed resolve is not kept: the next request tries again.
    entry.descriptor.catch(() => {
      if (this.entries.get(id) === entry) this.entries.delete(id);
    });
    return entry.descriptor;
  }

  /** Whether this instance holds the stream (for tests and metrics). */
  has(key: StreamKey): boolean {
    return this.entries.has(keyString(key));
  }

  /**
   * Every stream this instance serves now, resolved: `transcode` when it is an upstream transcode
   * session this instance started (and so keeps alive and stops).
   */
  held(): { key: StreamKey; transcode: boolean }[] {
    return [...this.entries.values()].flatMap((entry) =>
      entry.state.kind && !entry.state.ended
        ? [{ key: entry.key, transcode: entry.state.kind === 'hls' && entry.state.ownSessionKey !== undefined }]
        : [],
    );
  }

  /** The streams whose upstream session this instance started and still holds. */
  owned(): OwnedStream[] {
    return [...this.entries.values()].flatMap((entry) =>
      entry.state.ownSessionKey && !entry.state.ended
        ? [{ key: entry.key, sessionKey: entry.state.ownSessionKey }]
        : [],
    );
  }

  private async load(key: StreamKey, state: EntryState): Promise<StreamDescriptor> {
    const { cache, flight, library, sealer } = this.deps;
    const name = cacheKey(key);
    // Read-through, one resolve across all instances: another instance may already hold this
    // stream. The session key is made here, so the transcode is named after the room's stream.
    // The cache (Redis, and its append-only file) holds the descriptor sealed, bound to its key.
    const sessionKey = `dpp-${randomBytes(12).toString('base64url')}`;
    let resolvedHere = false;
    const sealedDescriptor = () =>
      flight.json(name, this.deps.ttlMs ?? DESCRIPTOR_TTL_MS, async () => {
        resolvedHere = true;
        const descriptor = await library.resolve(key, sessionKey);
        return sealer.seal('stream-descriptor', JSON.stringify(descriptor), { context: name });
      });
    let opened = sealer.open('stream-descriptor', await sealedDescriptor(), { context: name });
    if (!opened) {
      // Sealed under a key this instance no longer has (or not ours at all): resolve it afresh.
      await flight.forget(name);
      opened = sealer.open('stream-descriptor', await sealedDescriptor(), { context: name });
      if (!opened) throw new Error('a stream descriptor sealed by this instance does not open');
    }
    if (resolvedHere) state.ownSessionKey = sessionKey;
    if (state.ended) await cache.delete(name).catch(() => {});
    const descriptor = JSON.parse(opened.value) as StreamDescriptor;
    state.kind = descriptor.kind;
    return descriptor;
  }

  /** The room now plays `itemId` (or nothing): end its streams of any other item. */
  roomMovedOn(roomId: string, itemId: string | null): Promise<void> {
    return this.endWhere(
      (key) => key.roomId === roomId && key.itemId !== itemId,
      'the room changed item',
      itemId !== null,
    );
  }

  /** The room emptied: end all its streams. */
  roomEmptied(roomId: string): Promise<void> {
    return this.endWhere((key) => key.roomId === roomId, 'the room emptied');
  }

  /**
   * The upstream says the session is gone (Plex ended an idle transcode): forget it without a stop,
   * so the next request for the stream resolves a fresh one.
   */
  async forget(key: StreamKey, descriptor: StreamDescriptor): Promise<void> {
    const id = keyString(key);
    const entry = this.entries.get(id);
    if (entry && (await entry.descriptor.catch(() => undefined)) === descriptor) this.entries.delete(id);
    await this.deps.cache.delete(cacheKey(key)).catch(() => {});
  }

  /** Ends every stream this instance holds (server shutdown). */
  close(): Promise<void> {
    clearInterval(this.keepAliveTimer);
    return this.endWhere(() => true, 'the server is closing');
  }

  private async endWhere(match: (key: StreamKey) => boolean, why: string, continuing = false): Promise<void> {
    const ending: Entry[] = [];
    for (const [id, entry] of this.entries) {
      if (!match(entry.key)) continue;
      this.entries.delete(id);
      entry.state.ended = true;
      ending.push(entry);
      const { ownSessionKey } = entry.state;
      if (ownSessionKey) this.deps.onEnded?.({ key: entry.key, sessionKey: ownSessionKey }, continuing);
    }
    await Promise.all(ending.map((entry) => this.end(entry, why)));
  }

  private async end(entry: Entry, why: string): Promise<void> {
    await this.deps.cache.delete(cacheKey(entry.key)).catch(() => {});
    const descriptor = await entry.descriptor.catch(() => undefined);
    if (!descriptor) return;
    // A resolve that finished after the end began may have written the cache back: clear it again.
    await this.deps.cache.delete(cacheKey(entry.key)).catch(() => {});
    if (descriptor.kind !== 'hls') return;
    try {
      await this.deps.library.stop(descriptor);
      this.deps.log.info({ roomId: entry.key.roomId, quality: entry.key.quality, why }, 'transcode session stopped');
    } catch (error) {
      this.deps.log.warn(
        { roomId: entry.key.roomId, err: error instanceof Error ? error.message : String(error) },
        'could not stop a transcode session',
      );
    }
  }
}
