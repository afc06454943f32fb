import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { watchSessions } from '../db/schema.ts';
import type { RoomLogger, WatchLog } from './ports.ts';

/**
 * Watch history in `watch_sessions`, one row per room lifetime. Every write is an upsert keyed by
 * the session id, so the rows come out right whichever instance writes first; failures are logged
 * and dropped (history is best effort and never holds up a room).
 */
export class DatabaseWatchLog implements WatchLog {
  private readonly inflight = new Set<Promise<void>>();
  /** Writes of one session run in order (items keep the order they were played in). */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly log: RoomLogger,
  ) {}

  started(session: { sessionId: string; roomId: string; instanceId: string | null; at: number }) {
    this.run(session.sessionId, 'started', () =>
      this.db
        .insert(watchSessions)
        .values({
          id: session.sessionId,
          roomId: session.roomId,
          instanceId: session.instanceId,
          startedAt: new Date(session.at),
        })
        .onConflictDoUpdate({ target: watchSessions.id, set: { instanceId: session.instanceId } }),
    );
  }

  item(sessionId: string, roomId: string, item: { itemId: string; title: string; startedAt: number }) {
    const entry = { itemId: item.itemId, title: item.title, startedAt: new Date(item.startedAt).toISOString() };
    this.run(sessionId, 'item', () =>
      this.db
        .insert(watchSessions)
        .values({ id: sessionId, roomId, startedAt: new Date(item.startedAt), items: [entry] })
        .onConflictDoUpdate({
          target: watchSessions.id,
          set: { items: sql`${watchSessions.items} || ${JSON.stringify([entry])}::jsonb` },
        }),
    );
  }

  ended(sessionId: string, roomId: string, at: number) {
    this.run(sessionId, 'ended', () =>
      this.db
        .insert(watchSessions)
        .values({ id: sessionId, roomId, startedAt: new Date(at), endedAt: new Date(at) })
        .onConflictDoUpdate({ target: watchSessions.id, set: { endedAt: new Date(at) } }),
    );
  }

  /** Resolves when every write started so far has finished (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async history(roomId: string) {
    return this.db.select().from(watchSessions).where(eq(watchSessions.roomId, roomId));
  }

  private run(sessionId: string, what: string, write: () => PromiseLike<unknown>) {
    const previous = this.tails.get(sessionId) ?? Promise.resolve();
    const promise = previous.then(async () => {
      try {
        await write();
      } catch (error) {
        this.log.warn({ err: error, what, sessionId }, 'could not record watch history');
      }
    });
    this.tails.set(sessionId, promise);
    this.inflight.add(promise);
    void promise.finally(() => {
      this.inflight.delete(promise);
      if (this.tails.get(sessionId) === promise) this.tails.delete(sessionId);
    });
  }
}
